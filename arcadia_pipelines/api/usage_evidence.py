"""`GET /api/v1/invoices/{id}/lines/{line_id}/usage`: the usage evidence behind one invoice line.

Scoped exactly like the invoice: a tenant key asking about another tenant's invoice, or a line
that is not on the invoice, gets 404, never a hint that either exists.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arcadia_pipelines.monthend.explain import invoice_lines, invoice_row, line_usage

from .auth import reading
from .engines import ApiEngines
from .errors import ApiError
from .params import invoice_id


def _line_id(text: str) -> int:
    try:
        return invoice_id(text)
    except ApiError:
        raise ApiError(404, "no such line on this invoice") from None


def usage_routes(db: ApiEngines) -> list[Route]:
    def line_usage_endpoint(request: Request) -> JSONResponse:
        with reading(request, db.reads) as (who, conn):
            wanted, line_id = invoice_id(request.path_params["id"]), _line_id(request.path_params["line_id"])
            invoice = invoice_row(conn, wanted, who.scope)
            if invoice is None:
                raise ApiError(404, "no such invoice")
            [line] = invoice_lines(conn, invoice.id, line_id) or [None]
            if line is None:
                raise ApiError(404, "no such line on this invoice")
            return JSONResponse({"data": line_usage(conn, invoice, line)})

    return [Route("/api/v1/invoices/{id}/lines/{line_id}/usage", line_usage_endpoint, methods=["GET"])]
