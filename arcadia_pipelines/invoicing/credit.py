"""Credit an issued or paid invoice: a credit note, numbered, with its lines and event.

**Why notes cannot over-credit an invoice, also concurrently.** The invoice's row is locked first
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite every writer already holds the write lock), then
what earlier notes credited is read and the note planned (billing/credit_notes.py). Two notes on
one invoice therefore run one after the other, and the second sees the first. The number is drawn
from `credit_note_number_sequence` (gap-free: a rolled-back note gives it back), and the
`credited` event is appended under the events feed's lock (events.py), taken last, like a move does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from arcadia_pipelines.billing.credit_notes import CORRECTION, LineCredit, plan_credit_note
from arcadia_pipelines.warehouse.credit_notes import get_credit_note, load_creditable
from arcadia_pipelines.warehouse.schema import credit_note_lines, credit_notes, tenant_invoices

from .events import append_credited_event
from .numbering import next_credit_note_number


def create_credit_note(conn: sa.Connection, invoice_id: int, reason: object, credits: Sequence[LineCredit] | None,
                       now: datetime, key_id: int | None = None, purpose: object = CORRECTION) -> dict:
    """Make a credit note on the invoice in the caller's transaction and return it (get_credit_note's
    shape). Raises InvoiceNotFound, or a billing.credit_notes.CreditRefused saying why not."""
    invoice = load_creditable(conn, invoice_id, lock=True)
    plan = plan_credit_note(invoice, reason, credits, purpose)
    tenant_id = conn.scalar(sa.select(tenant_invoices.c.tenant_id).where(tenant_invoices.c.id == invoice_id))
    note_id = conn.scalar(sa.insert(credit_notes).returning(credit_notes.c.id), {
        "invoice_id": invoice_id, "tenant_id": tenant_id, "number": next_credit_note_number(conn),
        "reason": plan.reason, "purpose": plan.purpose, "currency": plan.currency, "subtotal_cents": plan.subtotal_cents,
        "tax_cents": plan.tax_cents, "total_cents": plan.total_cents, "tax_name": plan.tax_name,
        "tax_rate": plan.tax_rate, "created_at": now, "created_by_key_id": key_id})
    conn.execute(sa.insert(credit_note_lines), [
        {"credit_note_id": note_id, "invoice_line_id": ln.invoice_line_id, "line_no": ln.line_no,
         "description": ln.description, "amount_cents": ln.amount_cents} for ln in plan.lines])
    append_credited_event(conn, invoice_id, note_id, now)
    return get_credit_note(conn, note_id)
