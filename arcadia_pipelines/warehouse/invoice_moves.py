"""Invoice status moves and the invoice events feed, in the caller's transaction.

`apply_move` makes one lifecycle move (billing/lifecycle.py): it updates the status and the move's
timestamp, on issue draws the next invoice number and sets the due date and the billing details
printed on the invoice, and appends the event. All of it commits with the caller's transaction or
not at all, so a failed or rolled-back move consumes no number and leaves no event.

**Why events are appended under a lock.** The feed hands events out in id order and a poller
resumes after the last id it saw. Ids are drawn when a row is inserted, not when it commits: two
writers could commit ids 8 and 7 in that order, and a poller reading between the commits would
move past 7 for good. So every append first takes the lock of the one `invoice_number_sequence`
row (which an issue locks anyway to draw its number) and holds it to commit: appenders commit one
after the other in the order they drew their ids, and when a reader sees event N it also sees every
event below N that will ever exist. On SQLite the write lock every writer holds does the same. The
lock is taken last (after the invoice's row), and a month-end stage takes it only for its final
statement, so moves wait for it at most for the end of a commit. Other appenders (credit notes)
must append through `lock_event_order` as well.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from arcadia_pipelines.billing.lifecycle import MOVES, Move, MoveNotAllowed, check_move, due_at, invoice_number

from .dialect import dialect_of
from .reads import TenantRange
from .schema import credit_notes, invoice_events, invoice_number_sequence, tenant_invoices, tenants

_EVENT_COLUMNS = ["invoice_id", "tenant_id", "kind", "occurred_at", "status", "number", "currency", "total_cents"]


class InvoiceNotFound(LookupError):
    """No such invoice in the caller's scope."""


def lock_event_order(conn: sa.Connection) -> None:
    """Hold the sequence row's lock until the transaction ends (see the module's docstring)."""
    _ensure_sequence_row(conn)
    seq = invoice_number_sequence
    conn.execute(sa.select(seq.c.last_number).where(seq.c.id == 1).with_for_update())


def _ensure_sequence_row(conn: sa.Connection) -> None:
    """The one row exists (migration 0008 adds it; this keeps a warehouse whose tables were emptied working)."""
    conn.execute(dialect_of(conn).insert_ignoring_conflicts(invoice_number_sequence).values(id=1, last_number=0))


def _next_number(conn: sa.Connection) -> int:
    """Increment the sequence row, locking it until the transaction ends; a rollback gives the number back."""
    _ensure_sequence_row(conn)
    seq = invoice_number_sequence
    return conn.scalar(sa.update(seq).where(seq.c.id == 1).values(last_number=seq.c.last_number + 1)
                       .returning(seq.c.last_number))


def _append_events(conn: sa.Connection, kind: sa.ColumnElement, *where: sa.ColumnElement[bool]) -> int:
    """One event per invoice matching `where`, as it now stands, in one INSERT .. SELECT."""
    i = tenant_invoices
    src = (sa.select(i.c.id, i.c.tenant_id, kind, i.c.updated_at, i.c.status, i.c.number, i.c.currency,
                     i.c.total_cents).where(*where).order_by(i.c.id))
    return conn.execute(sa.insert(invoice_events).from_select(_EVENT_COLUMNS, src)).rowcount


def apply_move(conn: sa.Connection, invoice_id: int, move: Move | str, now: datetime,
               tenant_id: str | None = None) -> dict:
    """Make `move` on the invoice (in `tenant_id`'s scope when given) in the caller's transaction;
    returns the columns it set. Raises InvoiceNotFound, or MoveNotAllowed when the invoice is not
    in a status the move may start from (or MoveRefused for bad billing details)."""
    move = MOVES[move] if isinstance(move, str) else move
    i, t = tenant_invoices, tenants
    scope = [i.c.id == invoice_id, *([i.c.tenant_id == tenant_id] if tenant_id is not None else [])]
    current = conn.execute(sa.select(i.c.status, i.c.tenant_id).where(*scope).with_for_update()).first()
    if current is None:
        raise InvoiceNotFound(invoice_id)
    credited = move.target == "void" and conn.scalar(
        sa.select(sa.exists().where(credit_notes.c.invoice_id == invoice_id)))
    check_move(invoice_id, current.status, move, credited=bool(credited))
    values = {"status": move.target, move.stamp: now, "updated_at": now}
    if move.assigns_number:
        buyer = conn.execute(sa.select(t.c.name, t.c.legal_name, t.c.billing_address, t.c.tax_id,
                                       t.c.payment_terms_days).where(t.c.id == current.tenant_id)).one()
        values |= {"due_at": due_at(now, buyer.payment_terms_days), "bill_to_name": buyer.legal_name or buyer.name,
                   "bill_to_address": buyer.billing_address, "bill_to_tax_id": buyer.tax_id,
                   "number": invoice_number(_next_number(conn))}
    else:
        lock_event_order(conn)
    done = conn.execute(sa.update(i).where(i.c.id == invoice_id, i.c.status == current.status).values(values))
    if done.rowcount != 1:  # defensive: the row is locked above (SQLite: the write lock)
        raise MoveNotAllowed(invoice_id, "changed meanwhile", move)
    _append_events(conn, sa.literal(move.event, sa.Text), i.c.id == invoice_id)
    return values


def append_month_end_events(conn: sa.Connection, period_start: date, now: datetime,
                            tenant_range: TenantRange = TenantRange()) -> int:
    """The `created` and `recomputed` events of the drafts a month-end stage wrote at `now` (their
    `updated_at`) for the tenants in `tenant_range`, in one statement at the end of its
    transaction; returns how many."""
    i = tenant_invoices
    lock_event_order(conn)
    kind = sa.case((i.c.created_at == i.c.updated_at, "created"), else_="recomputed")
    return _append_events(conn, kind, i.c.period_start == period_start, i.c.updated_at == now, i.c.status == "draft",
                          *tenant_range.where(i.c.tenant_id))
