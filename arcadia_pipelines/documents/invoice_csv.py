"""An invoice as CSV: one row per line (the tax line last), each with the invoice's header columns,
so a spreadsheet or ledger import needs no join. Amounts are exact: integer cents, and the same
in currency units as fixed-point text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from .invoice_data import InvoiceDocument

COLUMNS = ("invoice_id", "number", "tenant_id", "bill_to_name", "bill_to_tax_id", "status", "period_start",
           "period_end", "issue_date", "due_date", "currency", "line_no", "kind", "description", "quantity",
           "unit_price_cents", "amount_cents", "amount", "invoice_subtotal_cents", "invoice_tax_cents",
           "invoice_total_cents")


def units(cents: int) -> str:
    """Integer cents as exact fixed-point text in currency units: 7064 -> '70.64'."""
    return f"{Decimal(cents).scaleb(-2):.2f}"


def render_invoice_csv(doc: InvoiceDocument) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    head = (doc.id, doc.number or "", doc.tenant_id, doc.bill_to_name, doc.bill_to_tax_id or "", doc.status,
            doc.period_start.isoformat(), doc.period_end.isoformat(),
            doc.issued_at.date().isoformat() if doc.issued_at else "",
            doc.due_at.date().isoformat() if doc.due_at else "", doc.currency)
    for ln in doc.lines:
        writer.writerow((*head, ln.line_no, ln.kind, ln.description, f"{ln.quantity.normalize():f}",
                         f"{ln.unit_price_cents.normalize():f}", ln.amount_cents, units(ln.amount_cents),
                         doc.subtotal_cents, doc.tax_cents, doc.total_cents))
    return out.getvalue()
