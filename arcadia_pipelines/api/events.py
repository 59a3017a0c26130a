"""`GET /api/v1/events?after=CURSOR&limit=N`: every invoice change in order, for finance systems
that poll at least once and must never miss one.

Events are handed out in id order; `next_cursor` is the position after the last event of the
page (the same position when there was none), so a poller keeps calling with it. The feed never
skips an event: appends are serialized and commit in id order (invoicing/events.py), so
an event below a visible one is visible too. A tenant key sees its own tenant's events only.
"""

from __future__ import annotations

import base64
import binascii
import re

import sqlalchemy as sa
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arcadia_pipelines.warehouse.schema import invoice_events as ev_t

from .auth import principal
from .engines import ApiEngines
from .errors import ApiError
from .keys import Principal
from .params import bad_parameter, refuse_unexpected

PARAMS = ("after", "limit")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
_POSITION = re.compile(r"ev:(0|[1-9][0-9]{0,18})")


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"ev:{position}".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> int:
    """The event id a cursor stands after; 400 for anything this API did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii") if len(text) <= 40 else ""
        m = _POSITION.fullmatch(raw)
        if m and int(m.group(1)) < 2**63:
            return int(m.group(1))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(400, "cursor is not one this API handed out", "invalid_cursor")


def feed_query(params: QueryParams) -> tuple[int, int]:
    """(position to start after, limit); unknown, repeated or empty parameters are refused."""
    refuse_unexpected(params, PARAMS)
    limit = DEFAULT_LIMIT
    if "limit" in params:
        text = params["limit"]
        if not (text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= MAX_LIMIT):
            raise bad_parameter("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
        limit = int(text)
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
        who = principal(request, db.reads)
        after, limit = feed_query(request.query_params)
        with db.reads.connect() as conn:
            return JSONResponse(feed_page(conn, who, after, limit))

    return [Route("/api/v1/events", list_events, methods=["GET"])]
