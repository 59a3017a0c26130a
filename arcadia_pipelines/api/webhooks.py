"""`GET /api/v1/webhooks` (platform_admin keys): every webhook endpoint with its delivery figures
(webhooks/status.py): last delivered event, lag, failures in the last day, parked events. Never
a secret; a password in an endpoint's URL is masked."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arcadia_pipelines.webhooks.delivery import utc_now
from arcadia_pipelines.webhooks.event_types import EVENT_TYPES
from arcadia_pipelines.webhooks.status import endpoint_status

from .auth import principal
from .engines import ApiEngines
from .params import bad_parameter

_COUNT = {"type": "integer", "minimum": 0}
WEBHOOK_ENDPOINT_SCHEMA = {
    "type": "object",
    "required": ["id", "url", "events", "disabled", "last_delivered_event_id", "last_delivered_at", "lag_events",
                 "lag_seconds", "failures_last_day", "parked", "parked_events"],
    "properties": {
        "id": {"type": "integer"}, "url": {"type": "string", "description": "a password in it is masked"},
        "events": {"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)}},
        "disabled": {"type": "boolean"},
        "last_delivered_event_id": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "last_delivered_at": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
        "lag_events": {**_COUNT, "description": "events of its types not delivered yet"},
        "lag_seconds": {**_COUNT, "description": "age of the oldest of them"},
        "failures_last_day": _COUNT, "parked": {**_COUNT, "description": "events parked as dead"},
        "parked_events": {"type": "array", "items": {
            "type": "object", "required": ["event_id", "error"],
            "properties": {"event_id": {"type": "integer"}, "error": {"type": "string"}}}},
    },
}
WEBHOOKS_PATH = {"get": {
    "summary": "Every webhook endpoint with its delivery figures (platform_admin keys; never a secret)",
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "required": ["data"],
        "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookEndpoint"}}}}}}},
        **{str(code): {"description": text, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}
           for code, text in ((400, "a query parameter (this route takes none)"),
                              (401, "missing, unknown or revoked key"), (403, "not a platform_admin key"),
                              (503, "busy; retry after `Retry-After` seconds"))}}}}


def webhook_routes(db: ApiEngines) -> list[Route]:
    def list_webhooks(request: Request) -> JSONResponse:
        principal(request, db.reads, admin_only=True)
        for name in request.query_params.keys():
            raise bad_parameter(name[:40], "unknown parameter; this route takes none")
        with db.reads.connect() as conn:
            return JSONResponse({"data": endpoint_status(conn, utc_now())})

    return [Route("/api/v1/webhooks", list_webhooks, methods=["GET"])]
