"""Credit notes in the warehouse: made in the caller's transaction, read in a tenant's scope, and
the credited amounts that invoices (their balance), documents and drift need.

**Why notes cannot over-credit an invoice, also concurrently.** `create_credit_note` first locks
the invoice's row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every writer already holds the
write lock), then reads what earlier notes credited and plans the note (billing/credit_notes.py).
Two notes on one invoice therefore run one after the other, and the second sees the first. The
number is drawn from `credit_note_number_sequence` (gap-free: a rolled-back note gives it back),
and the `credited` event is appended under the events feed's lock (invoice_moves.lock_event_order),
taken last, like a move does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import sqlalchemy as sa

from arcadia_pipelines.billing.credit_notes import (
    CORRECTION,
    CreditableInvoice,
    CreditableLine,
    LineCredit,
    credit_note_number,
    plan_credit_note,
)

from .dialect import dialect_of
from .invoice_moves import InvoiceNotFound, lock_event_order
from .schema import (
    credit_note_lines,
    credit_note_number_sequence,
    credit_notes,
    invoice_events,
    tenant_invoice_lines,
    tenant_invoices,
)

NOTE_COLUMNS = ("id", "number", "invoice_id", "tenant_id", "reason", "purpose", "currency", "subtotal_cents",
                "tax_cents", "total_cents", "tax_name", "tax_rate", "created_at")
LINE_COLUMNS = ("id", "line_no", "invoice_line_id", "description", "amount_cents")


class CreditNoteNotFound(LookupError):
    """No such credit note in the caller's scope."""


def _sum(column: sa.ColumnElement) -> sa.ColumnElement:
    """SUM as a whole number on both backends (PostgreSQL sums bigint as numeric), 0 over no rows."""
    return sa.cast(sa.func.coalesce(sa.func.sum(column), 0), sa.BigInteger)


def credited_cents(invoice_id: sa.ColumnElement) -> sa.ColumnElement:
    """What the credit notes of the invoice `invoice_id` credited, tax included (a correlated subquery)."""
    cn = credit_notes
    return sa.select(_sum(cn.c.total_cents)).where(cn.c.invoice_id == invoice_id).scalar_subquery()


def balance_columns() -> list[sa.ColumnElement]:
    """`credited_cents` and `balance_cents` (total minus credited) of each tenant_invoices row selected."""
    credited = credited_cents(tenant_invoices.c.id)
    return [credited.label("credited_cents"), (tenant_invoices.c.total_cents - credited).label("balance_cents")]


def credited_per_line(conn: sa.Connection, invoice_ids: Collection[int]) -> dict[int, int]:
    """{invoice line id: cents credited on it by every note} for the invoices `invoice_ids`."""
    cn, cnl = credit_notes, credit_note_lines
    rows = conn.execute(sa.select(cnl.c.invoice_line_id, _sum(cnl.c.amount_cents))
                        .join(cn, cn.c.id == cnl.c.credit_note_id).where(cn.c.invoice_id.in_(list(invoice_ids)))
                        .group_by(cnl.c.invoice_line_id))
    return dict(rows.all())


def credited_tax_per_invoice(conn: sa.Connection, invoice_ids: Collection[int]) -> dict[int, int]:
    """{invoice id: tax cents credited by its notes} for the invoices `invoice_ids` that have notes."""
    cn = credit_notes
    rows = conn.execute(sa.select(cn.c.invoice_id, _sum(cn.c.tax_cents))
                        .where(cn.c.invoice_id.in_(list(invoice_ids))).group_by(cn.c.invoice_id))
    return dict(rows.all())


def load_creditable(conn: sa.Connection, invoice_id: int, lock: bool = False) -> CreditableInvoice:
    """The invoice with its non-tax lines and what its notes credited; with `lock`, its row stays
    locked until the transaction ends. InvoiceNotFound when it does not exist."""
    i, ln, cn = tenant_invoices, tenant_invoice_lines, credit_notes
    stmt = sa.select(i.c.id, i.c.status, i.c.currency, i.c.total_cents, i.c.tax_cents, i.c.tax_name,
                     i.c.tax_rate).where(i.c.id == invoice_id)
    inv = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if inv is None:
        raise InvoiceNotFound(invoice_id)
    per_line = credited_per_line(conn, [invoice_id])
    credited, credited_tax = conn.execute(sa.select(_sum(cn.c.total_cents), _sum(cn.c.tax_cents))
                                          .where(cn.c.invoice_id == invoice_id)).one()
    lines = conn.execute(sa.select(ln.c.id, ln.c.line_no, ln.c.description, ln.c.amount_cents)
                         .where(ln.c.invoice_id == invoice_id, ln.c.kind != "tax").order_by(ln.c.line_no, ln.c.id))
    return CreditableInvoice(
        id=inv.id, status=inv.status, currency=inv.currency, total_cents=inv.total_cents, tax_cents=inv.tax_cents,
        tax_name=inv.tax_name, tax_rate=inv.tax_rate, credited_cents=credited, credited_tax_cents=credited_tax,
        lines=tuple(CreditableLine(r.id, r.line_no, r.description, r.amount_cents, per_line.get(r.id, 0))
                    for r in lines))


def _next_number(conn: sa.Connection) -> int:
    """Increment the sequence row (locked until the transaction ends; a rollback gives the number back)."""
    seq = credit_note_number_sequence
    conn.execute(dialect_of(conn).insert_ignoring_conflicts(seq).values(id=1, last_number=0))  # the row 0010 adds
    return conn.scalar(sa.update(seq).where(seq.c.id == 1).values(last_number=seq.c.last_number + 1)
                       .returning(seq.c.last_number))


def _append_credited_event(conn: sa.Connection, invoice_id: int, note_id: int, now: datetime) -> None:
    """The invoice's `credited` event (the invoice as it stands: its amounts never change), under the
    feed's lock so events commit in id order."""
    lock_event_order(conn)
    i = tenant_invoices
    src = sa.select(i.c.id, sa.literal(note_id, sa.BigInteger), i.c.tenant_id, sa.literal("credited", sa.Text),
                    sa.literal(now, invoice_events.c.occurred_at.type), i.c.status, i.c.number, i.c.currency,
                    i.c.total_cents).where(i.c.id == invoice_id)
    conn.execute(sa.insert(invoice_events).from_select(
        ["invoice_id", "credit_note_id", "tenant_id", "kind", "occurred_at", "status", "number", "currency",
         "total_cents"], src))


def create_credit_note(conn: sa.Connection, invoice_id: int, reason: object, credits: Sequence[LineCredit] | None,
                       now: datetime, key_id: int | None = None, purpose: object = CORRECTION) -> dict:
    """Make a credit note on the invoice in the caller's transaction and return it (get_credit_note's
    shape). Raises InvoiceNotFound, or a billing.credit_notes.CreditRefused saying why not."""
    invoice = load_creditable(conn, invoice_id, lock=True)
    plan = plan_credit_note(invoice, reason, credits, purpose)
    tenant_id = conn.scalar(sa.select(tenant_invoices.c.tenant_id).where(tenant_invoices.c.id == invoice_id))
    note_id = conn.scalar(sa.insert(credit_notes).returning(credit_notes.c.id), {
        "invoice_id": invoice_id, "tenant_id": tenant_id, "number": credit_note_number(_next_number(conn)),
        "reason": plan.reason, "purpose": plan.purpose, "currency": plan.currency, "subtotal_cents": plan.subtotal_cents,
        "tax_cents": plan.tax_cents, "total_cents": plan.total_cents, "tax_name": plan.tax_name,
        "tax_rate": plan.tax_rate, "created_at": now, "created_by_key_id": key_id})
    conn.execute(sa.insert(credit_note_lines), [
        {"credit_note_id": note_id, "invoice_line_id": ln.invoice_line_id, "line_no": ln.line_no,
         "description": ln.description, "amount_cents": ln.amount_cents} for ln in plan.lines])
    _append_credited_event(conn, invoice_id, note_id, now)
    return get_credit_note(conn, note_id)


def _notes(conn: sa.Connection, *where: sa.ColumnElement[bool]) -> list[dict]:
    cn, cnl, i = credit_notes, credit_note_lines, tenant_invoices
    notes = [{**r._asdict()} for r in conn.execute(
        sa.select(*(cn.c[c] for c in NOTE_COLUMNS), i.c.number.label("invoice_number"))
        .join(i, i.c.id == cn.c.invoice_id).where(*where).order_by(cn.c.id))]
    lines: dict[int, list[dict]] = {n["id"]: [] for n in notes}
    if notes:
        for r in conn.execute(sa.select(cnl.c.credit_note_id, *(cnl.c[c] for c in LINE_COLUMNS))
                              .where(cnl.c.credit_note_id.in_(list(lines))).order_by(cnl.c.line_no, cnl.c.id)):
            lines[r.credit_note_id].append({c: getattr(r, c) for c in LINE_COLUMNS})
    return [{**n, "lines": lines[n["id"]]} for n in notes]


def list_credit_notes(conn: sa.Connection, invoice_id: int, tenant_id: str | None = None) -> list[dict]:
    """The invoice's notes, oldest first, each with its lines; InvoiceNotFound when the invoice is
    not in `tenant_id`'s scope (every tenant's when None)."""
    i = tenant_invoices
    scope = [i.c.id == invoice_id, *([i.c.tenant_id == tenant_id] if tenant_id is not None else [])]
    if conn.scalar(sa.select(i.c.id).where(*scope)) is None:
        raise InvoiceNotFound(invoice_id)
    return _notes(conn, credit_notes.c.invoice_id == invoice_id)


def get_credit_note(conn: sa.Connection, note_id: int, tenant_id: str | None = None) -> dict:
    """One note with its lines, in `tenant_id`'s scope; CreditNoteNotFound otherwise."""
    cn = credit_notes
    found = _notes(conn, cn.c.id == note_id, *([cn.c.tenant_id == tenant_id] if tenant_id is not None else []))
    if not found:
        raise CreditNoteNotFound(note_id)
    return found[0]
