"""What an invoice document prints, read from the warehouse in the caller's tenant scope.

An issued (or paid, or void) invoice prints the billing details snapshotted when it was issued; a
draft prints the tenant's current ones, since it has no snapshot yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.billing.lifecycle import InvoiceNotFound
from arcadia_pipelines.warehouse.schema import tenant_invoice_lines, tenant_invoices, tenants

from .totals import DocumentTotals

# From this total (in cents, tax included) an Australian tax invoice must identify the buyer.
BUYER_IDENTITY_FROM_CENTS = 100_000


@dataclass(frozen=True)
class Line:
    line_no: int
    kind: str
    description: str
    quantity: Decimal
    unit_price_cents: Decimal
    amount_cents: int


@dataclass(frozen=True)
class InvoiceDocument(DocumentTotals):
    id: int
    number: str | None
    tenant_id: str
    status: str
    period_start: date
    period_end: date
    issued_at: datetime | None
    due_at: datetime | None
    updated_at: datetime
    bill_to_name: str
    bill_to_address: str | None
    bill_to_tax_id: str | None
    lines: tuple[Line, ...]  # tax line included, last
    paid_at: datetime | None = None
    voided_at: datetime | None = None

    @property
    def charges(self) -> tuple[Line, ...]:
        return tuple(ln for ln in self.lines if ln.kind != "tax")

    @property
    def is_tax_invoice(self) -> bool:
        """A tax applies and the invoice is issued (drafts are never tax invoices)."""
        return self.tax_name is not None and self.status != "draft"

    @property
    def needs_buyer_identity(self) -> bool:
        return self.is_tax_invoice and self.total_cents >= BUYER_IDENTITY_FROM_CENTS


def load_invoice_document(conn: sa.Connection, invoice_id: int, tenant_id: str | None = None) -> InvoiceDocument:
    """The invoice in `tenant_id`'s scope (every tenant's when None); InvoiceNotFound otherwise."""
    i, t, ln = tenant_invoices, tenants, tenant_invoice_lines
    stmt = (sa.select(i, t.c.name, t.c.legal_name, t.c.billing_address, t.c.tax_id)
            .join(t, t.c.id == i.c.tenant_id).where(i.c.id == invoice_id))
    if tenant_id is not None:
        stmt = stmt.where(i.c.tenant_id == tenant_id)
    inv = conn.execute(stmt).first()
    if inv is None:
        raise InvoiceNotFound(invoice_id)
    lines = conn.execute(sa.select(ln.c.line_no, ln.c.kind, ln.c.description, ln.c.quantity, ln.c.unit_price_cents,
                                   ln.c.amount_cents).where(ln.c.invoice_id == invoice_id)
                         .order_by(ln.c.line_no, ln.c.id))
    snapshot = inv.status != "draft" and inv.number is not None
    return InvoiceDocument(
        id=inv.id, number=inv.number, tenant_id=inv.tenant_id, status=inv.status, period_start=inv.period_start,
        period_end=inv.period_end, currency=inv.currency, subtotal_cents=inv.subtotal_cents, tax_cents=inv.tax_cents,
        total_cents=inv.total_cents, tax_name=inv.tax_name, tax_rate=inv.tax_rate, issued_at=inv.issued_at,
        due_at=inv.due_at, updated_at=inv.updated_at,
        bill_to_name=inv.bill_to_name if snapshot else inv.legal_name or inv.name,
        bill_to_address=inv.bill_to_address if snapshot else inv.billing_address,
        bill_to_tax_id=inv.bill_to_tax_id if snapshot else inv.tax_id,
        lines=tuple(Line(*r) for r in lines), paid_at=inv.paid_at, voided_at=inv.voided_at)
