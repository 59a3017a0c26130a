"""`month_invoiced_events`: a month's invoicing finished, in the same order as the invoice events.

Its id is drawn from invoice_events' own id sequence (PostgreSQL's serial sequence; SQLite's
AUTOINCREMENT counter in sqlite_sequence) while the feed's lock is held (events.py
`lock_event_order`), so the two tables share one id space and one commit order: a reader that sees
event N of either kind sees every event below N that will ever exist, which is what lets a
webhook endpoint keep a single cursor. The pull feed (`GET /api/v1/events`) shows invoice events
only; it skips these ids.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa

from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.schema import billing_errors, invoice_events, month_invoiced_events, tenant_invoices

from .events import lock_event_order

def _draw_event_id(conn: sa.Connection) -> int:
    """The next id of invoice_events' sequence, consumed without inserting an invoice event."""
    return dialect_of(conn).draw_id(conn, invoice_events)


def _changed_since_last(conn: sa.Connection, period_start: date) -> bool:
    """Whether the month has drafts created or recomputed after its last month.invoiced event (or has
    invoices and no such event yet): a re-run that changed nothing announces nothing."""
    m, e, i = month_invoiced_events, invoice_events, tenant_invoices
    last = conn.scalar(sa.select(sa.func.max(m.c.id)).where(m.c.period_start == period_start)) or 0
    return bool(conn.scalar(sa.select(sa.exists().where(
        e.c.id > last, e.c.kind.in_(("created", "recomputed")), e.c.invoice_id == i.c.id,
        i.c.period_start == period_start))))


def append_month_invoiced(conn: sa.Connection, period_start: date, now: datetime) -> int | None:
    """The month's `month.invoiced` event (its invoices, totals per currency and tenants with bad
    input), in the caller's transaction; None when nothing changed since the last one."""
    if not _changed_since_last(conn, period_start):
        return None
    i, b = tenant_invoices, billing_errors
    totals = {r.currency: int(r.total) for r in conn.execute(
        sa.select(i.c.currency, sa.func.sum(i.c.total_cents).label("total"))
        .where(i.c.period_start == period_start).group_by(i.c.currency).order_by(i.c.currency))}
    invoices = conn.scalar(sa.select(sa.func.count()).where(i.c.period_start == period_start))
    failed = conn.scalar(sa.select(sa.func.count(sa.distinct(b.c.tenant_id))).where(b.c.period_start == period_start))
    lock_event_order(conn)  # last: held until commit, like every append to the feed
    event_id = _draw_event_id(conn)
    conn.execute(sa.insert(month_invoiced_events).values(
        id=event_id, period_start=period_start, occurred_at=now, invoices=invoices, failed_tenants=failed,
        totals=json.dumps(totals, sort_keys=True)))
    return event_id


def announce_months(engine: sa.Engine, period_starts: list[date], now: datetime) -> dict[date, int | None]:
    """Each month's month.invoiced event where its drafts changed, one transaction: its id by month
    (None where nothing changed)."""
    with engine.begin() as conn:
        return {p: append_month_invoiced(conn, p, now) for p in period_starts}
