"""Issue a draft: it gets the next invoice number, its due date (issue time plus the tenant's
payment terms) and the billing details printed on it, as they stand now. A held draft (its month
has a billing error: drafts.py) is refused."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from arcadia_pipelines.billing.lifecycle import MOVES, InvoiceHeld, check_move, due_at
from arcadia_pipelines.warehouse.schema import tenants

from .numbering import next_invoice_number
from .status_change import change_status, lock_invoice

ISSUE = MOVES["issue"]


def issue_invoice(conn: sa.Connection, invoice_id: int, now: datetime, tenant_id: str | None = None) -> dict:
    """Issue the draft in the caller's transaction; returns the columns set. Raises InvoiceNotFound,
    MoveNotAllowed (not a draft), InvoiceHeld or MoveRefused (billing details that cannot be issued)."""
    current = lock_invoice(conn, invoice_id, tenant_id)
    check_move(invoice_id, current.status, ISSUE)
    if current.held_reason is not None:
        raise InvoiceHeld(invoice_id, current.held_reason)
    t = tenants
    buyer = conn.execute(sa.select(t.c.name, t.c.legal_name, t.c.billing_address, t.c.tax_id,
                                   t.c.payment_terms_days).where(t.c.id == current.tenant_id)).one()
    values = {"due_at": due_at(now, buyer.payment_terms_days), "bill_to_name": buyer.legal_name or buyer.name,
              "bill_to_address": buyer.billing_address, "bill_to_tax_id": buyer.tax_id,
              "number": next_invoice_number(conn)}
    return change_status(conn, invoice_id, current, ISSUE, now, values)
