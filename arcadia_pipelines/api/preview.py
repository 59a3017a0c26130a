"""GET /api/v1/invoices/preview: the running month's invoice so far, and projected to its end.

Computed on request by the month-end's engine (monthend/preview.py), never stored. A tenant key
previews only its own tenant (`tenant_id` defaults to it; another tenant's is not found, as an
invoice is not); a platform_admin key names the tenant: it has none of its own, so without
`tenant_id` its preview is not found either (a 404, not a 400: the OpenAPI document cannot make a
parameter required for one kind of key only, and declares the request valid).
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arcadia_pipelines.monthend.preview import BadInput, UnknownTenant, parse_as_of, preview

from .auth import principal
from .engines import ApiEngines
from .errors import ApiError
from .keys import Principal
from . import constraints as rules
from .constraints import conforms, pattern_value
from .params import bad_parameter, refuse_unexpected, tenant_id_param

PATH = "/api/v1/invoices/preview"
PARAMS = ("tenant_id", "as_of")


def _query(params: QueryParams, who: Principal) -> tuple[str, str | None]:
    """(tenant, as_of text); unknown, repeated or empty parameters are refused rather than ignored."""
    refuse_unexpected(params, PARAMS)
    tenant_id = tenant_id_param(params["tenant_id"]) if "tenant_id" in params else who.tenant_id
    if tenant_id is None:
        raise ApiError(404, "tenant_id: required with a platform_admin key, which has no tenant of its own")
    if not who.is_admin and tenant_id != who.tenant_id:
        raise ApiError(404, "no such tenant")
    as_of = params.get("as_of")
    if as_of is not None and not conforms(rules.AS_OF, as_of):
        raise bad_parameter("as_of", "must be an ISO 8601 timestamp such as 2026-04-15T12:00:00Z (RFC 3339, "
                                     "from 1971 to 9997)")
    return tenant_id, None if as_of is None else pattern_value(as_of)


def preview_routes(db: ApiEngines) -> list[Route]:
    def show_preview(request: Request) -> JSONResponse:
        who = principal(request, db.reads)
        tenant_id, as_of = _query(request.query_params, who)
        try:
            moment = parse_as_of(as_of) if as_of is not None else None
        except ValueError as e:
            raise bad_parameter("as_of", str(e).removeprefix("as_of ")) from None
        with db.reads.connect() as conn:
            try:
                return JSONResponse({"data": preview(conn, tenant_id, moment).as_json()})
            except UnknownTenant:
                raise ApiError(404, "no such tenant") from None
            except BadInput as e:
                raise ApiError(422, f"{e}; the month-end would not invoice this tenant either: fix the data",
                               "bad_input") from None

    return [Route(PATH, show_preview, methods=["GET"])]
