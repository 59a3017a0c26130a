"""The events an endpoint is sent: the events feed's invoice events of the four pushed kinds and
the month.invoiced events, in one id order (invoicing/month_invoiced.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from arcadia_pipelines.warehouse.schema import invoice_events, month_invoiced_events

from .event_types import EVENT_TYPES, FEED_KINDS, MONTH_INVOICED


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    occurred_at: datetime
    invoice_id: int | None = None
    credit_note_id: int | None = None
    period_start: date | None = None


def _stream(types: frozenset[str]) -> sa.Select | sa.CompoundSelect:
    e, m = invoice_events, month_invoiced_events
    kinds = [k for k, t in FEED_KINDS.items() if t in types]
    kind_type = sa.case(*((e.c.kind == k, FEED_KINDS[k]) for k in FEED_KINDS))
    parts = []
    if kinds:
        parts.append(sa.select(e.c.id, kind_type.label("type"), e.c.occurred_at, e.c.invoice_id, e.c.credit_note_id,
                               sa.cast(sa.null(), sa.Date).label("period_start")).where(e.c.kind.in_(kinds)))
    if MONTH_INVOICED in types:
        parts.append(sa.select(m.c.id, sa.literal(MONTH_INVOICED, sa.Text).label("type"), m.c.occurred_at,
                               sa.cast(sa.null(), sa.BigInteger).label("invoice_id"),
                               sa.cast(sa.null(), sa.BigInteger).label("credit_note_id"), m.c.period_start))
    return sa.union_all(*parts) if len(parts) > 1 else parts[0]


def events_after(conn: sa.Connection, types: frozenset[str], after: int, limit: int,
                 until: int | None = None) -> list[Event]:
    """Up to `limit` events of `types` with ids above `after` (and at most `until`), in id order."""
    if not types:
        return []
    s = _stream(types).subquery()
    upto = [s.c.id <= until] if until is not None else []
    rows = conn.execute(sa.select(s).where(s.c.id > after, *upto).order_by(s.c.id).limit(limit)).all()
    return [_event(r) for r in rows]


def events_by_id(conn: sa.Connection, ids: list[int]) -> dict[int, Event]:
    """The events with these ids (any pushed type)."""
    if not ids:
        return {}
    s = _stream(frozenset(EVENT_TYPES)).subquery()
    return {r.id: _event(r) for r in conn.execute(sa.select(s).where(s.c.id.in_(ids)))}


def count_after(conn: sa.Connection, types: frozenset[str], after: int) -> int:
    if not types:
        return 0
    s = _stream(types).subquery()
    return conn.scalar(sa.select(sa.func.count()).select_from(s).where(s.c.id > after))


def latest_event_id(conn: sa.Connection) -> int:
    """The highest event id so far (0 when none)."""
    e, m = invoice_events, month_invoiced_events
    return max(conn.scalar(sa.select(sa.func.max(e.c.id))) or 0, conn.scalar(sa.select(sa.func.max(m.c.id))) or 0)


def _event(r: sa.Row) -> Event:
    return Event(r.id, r.type, r.occurred_at, r.invoice_id, r.credit_note_id, r.period_start)
