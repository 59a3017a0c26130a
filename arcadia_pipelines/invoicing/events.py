"""The invoice events feed (`invoice_events`), appended in the caller's transaction.

**Why events are appended under a lock.** The feed hands events out in id order and a poller
resumes after the last id it saw. Ids are drawn when a row is inserted, not when it commits: two
writers could commit ids 8 and 7 in that order, and a poller reading between the commits would
move past 7 for good. So every append first takes the lock of the one `invoice_number_sequence`
row (which an issue locks anyway to draw its number) and holds it to commit: appenders commit one
after the other in the order they drew their ids, and when a reader sees event N it also sees every
event below N that will ever exist. On SQLite the write lock every writer holds does the same. The
lock is taken last (after the invoice's row), and a month-end stage takes it only for its final
statement, so moves wait for it at most for the end of a commit.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from arcadia_pipelines.billing.lifecycle import RECOMPUTABLE
from arcadia_pipelines.warehouse.reads import TenantRange
from arcadia_pipelines.warehouse.schema import invoice_events, invoice_number_sequence, tenant_invoices

from .numbering import ensure_sequence_row

_EVENT_COLUMNS = ["invoice_id", "tenant_id", "kind", "occurred_at", "status", "number", "currency", "total_cents"]


def lock_event_order(conn: sa.Connection) -> None:
    """Hold the sequence row's lock until the transaction ends (see the module's docstring)."""
    ensure_sequence_row(conn, invoice_number_sequence)
    seq = invoice_number_sequence
    conn.execute(sa.select(seq.c.last_number).where(seq.c.id == 1).with_for_update())


def append_events(conn: sa.Connection, kind: sa.ColumnElement, *where: sa.ColumnElement[bool]) -> int:
    """One event per invoice matching `where`, as it now stands, in one INSERT .. SELECT, under the
    feed's lock."""
    lock_event_order(conn)
    i = tenant_invoices
    src = (sa.select(i.c.id, i.c.tenant_id, kind, i.c.updated_at, i.c.status, i.c.number, i.c.currency,
                     i.c.total_cents).where(*where).order_by(i.c.id))
    return conn.execute(sa.insert(invoice_events).from_select(_EVENT_COLUMNS, src)).rowcount


def append_month_end_events(conn: sa.Connection, period_start: date, now: datetime,
                            tenant_range: TenantRange = TenantRange()) -> int:
    """The `created` and `recomputed` events of the drafts a month-end stage wrote at `now` (their
    `updated_at`) for the tenants in `tenant_range`, in one statement at the end of its
    transaction; returns how many."""
    i = tenant_invoices
    kind = sa.case((i.c.created_at == i.c.updated_at, "created"), else_="recomputed")
    return append_events(conn, kind, i.c.period_start == period_start, i.c.updated_at == now,
                         i.c.status.in_(RECOMPUTABLE), *tenant_range.where(i.c.tenant_id))


def append_credited_event(conn: sa.Connection, invoice_id: int, note_id: int, now: datetime) -> None:
    """The invoice's `credited` event (the invoice as it stands: its amounts never change), under the
    feed's lock."""
    lock_event_order(conn)
    i = tenant_invoices
    src = sa.select(i.c.id, sa.literal(note_id, sa.BigInteger), i.c.tenant_id, sa.literal("credited", sa.Text),
                    sa.literal(now, invoice_events.c.occurred_at.type), i.c.status, i.c.number, i.c.currency,
                    i.c.total_cents).where(i.c.id == invoice_id)
    conn.execute(sa.insert(invoice_events).from_select(
        ["invoice_id", "credit_note_id", "tenant_id", "kind", "occurred_at", "status", "number", "currency",
         "total_cents"], src))
