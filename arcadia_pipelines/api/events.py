"""`GET /api/v1/events?after=CURSOR&limit=N`: every invoice change in order, for finance systems
that poll at least once and must never miss one.

Events are handed out in id order; `next_cursor` is the position after the last event of the
page (the same position when there was none), so a poller keeps calling with it. The feed never
skips an event: appends are serialized and commit in id order (invoicing/events.py), so
an event below a visible one is visible too. A tenant key sees its own tenant's events only.
"""

from __future__ import annotations

import sqlalchemy as sa
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arcadia_pipelines.warehouse.schema import invoice_events as ev_t

from . import constraints as rules
from .auth import reading
from .constraints import conforms, pattern_value
from .engines import ApiEngines
from .errors import ApiError
from .keys import Principal
from .params import limit_param, refuse_unexpected

PARAMS = ("after", "limit")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def encode_cursor(position: int) -> str:
    return str(position)


def decode_cursor(text: str) -> int:
    """The event id a cursor stands after; 400 for anything this API did not hand out."""
    if not conforms(rules.EVENTS_AFTER, text):
        raise ApiError(400, "cursor is not one this API handed out", "invalid_cursor")
    return int(pattern_value(text))


def feed_query(params: QueryParams) -> tuple[int, int]:
    """(position to start after, limit); unknown, repeated or empty parameters are refused."""
    refuse_unexpected(params, PARAMS)
    limit = limit_param(params, DEFAULT_LIMIT, MAX_LIMIT)
    return (decode_cursor(params["after"]) if "after" in params else 0), limit


def _event(r: sa.Row) -> dict:
    return {"event_id": r.id, "kind": r.kind, "invoice_id": r.invoice_id, "credit_note_id": r.credit_note_id,
            "tenant_id": r.tenant_id, "occurred_at": r.occurred_at.isoformat().replace("+00:00", "Z"),
            "status": r.status, "number": r.number, "currency": r.currency, "total_cents": r.total_cents}


def feed_page(conn: sa.Connection, who: Principal, after: int, limit: int) -> dict:
    stmt = sa.select(ev_t).where(ev_t.c.id > after)
    if not who.is_admin:
        stmt = stmt.where(ev_t.c.tenant_id == who.tenant_id)
    rows = conn.execute(stmt.order_by(ev_t.c.id).limit(limit + 1)).all()
    page = rows[:limit]
    return {"data": [_event(r) for r in page], "next_cursor": encode_cursor(page[-1].id if page else after),
            "has_more": len(rows) > limit}


def events_routes(db: ApiEngines) -> list[Route]:
    def list_events(request: Request) -> JSONResponse:
        with reading(request, db.reads) as (who, conn):
            return JSONResponse(feed_page(conn, who, *feed_query(request.query_params)))

    return [Route("/api/v1/events", list_events, methods=["GET"])]
