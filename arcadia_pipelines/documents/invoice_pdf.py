"""An invoice as PDF (fpdf2): an Australian tax invoice when a tax applies.

A tax invoice shows the words "Tax invoice", the supplier's name and ABN, the issue date, the
invoice number, each line, the GST amount and the total including GST, and from a total of
$1,000 the buyer's identity (the buyer's name, and ABN when known, are printed on every invoice).
A draft is marked "DRAFT - not a tax invoice"; a paid invoice says when it was paid. Unit prices
and amounts are in the invoice's currency, exact. The document's dates come from the invoice,
never from the clock, so rendering an invoice twice gives the same bytes. The layout (long texts,
long invoices, the fonts' characters) is pdf_layout.py's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from arcadia_pipelines.billing.money import format_cents

from .invoice_data import InvoiceDocument
from .pdf_layout import AMOUNT_WIDTH, TABLE_WIDTH, Column, DocumentError, DocumentPdf, unit_price
from .supplier import Supplier

__all__ = ["DRAFT_MARK", "DocumentError", "render_invoice_pdf", "title"]

DRAFT_MARK = "DRAFT - not a tax invoice"
DESCRIPTION_LINES = 6  # a longer description is cut with '…'


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"  # exact, never in exponent form


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else "-"


def title(doc: InvoiceDocument) -> str:
    if doc.status == "draft":
        return DRAFT_MARK
    return "Tax invoice" if doc.is_tax_invoice else "Invoice"


def render_invoice_pdf(doc: InvoiceDocument, supplier: Supplier) -> bytes:
    """The invoice's PDF; DocumentError when a tax invoice lacks the supplier's name or ABN."""
    missing = supplier.missing_for_tax_invoice() if doc.is_tax_invoice else []
    if missing:
        raise DocumentError(f"invoice {doc.id} is a tax invoice: set {' and '.join(missing)} to print it")
    pdf = DocumentPdf(f"{title(doc)} {doc.number or f'#{doc.id}'}", doc.issued_at or doc.updated_at, supplier.name)
    pdf.field(title(doc), size=20, style="B", height=10, max_lines=1)
    if doc.status in ("paid", "void"):
        pdf.field(doc.status.upper(), size=14, style="B", height=8, max_lines=1)
    pdf.ln(2)
    pdf.supplier(supplier)
    pdf.ln(4)
    pdf.pair("Invoice number", doc.number or "(assigned when issued)")
    pdf.pair("Issue date", _day(doc.issued_at))
    pdf.pair("Due date", _day(doc.due_at))
    if doc.paid_at is not None:
        pdf.pair("Paid on", _day(doc.paid_at))
    if doc.voided_at is not None:
        pdf.pair("Voided on", _day(doc.voided_at))
    last_day = doc.period_end - timedelta(days=1)
    pdf.pair("Period", f"{doc.period_start:%B %Y} ({doc.period_start.isoformat()} to {last_day.isoformat()})")
    pdf.ln(4)
    pdf.bill_to(doc.bill_to_name, doc.bill_to_address, doc.bill_to_tax_id)
    pdf.ln(4)
    columns = (Column("Description", TABLE_WIDTH - 55 - AMOUNT_WIDTH, "L", DESCRIPTION_LINES), Column("Quantity", 25),
               Column(f"Unit price {doc.currency}", 30), Column(f"Amount {doc.currency}", AMOUNT_WIDTH))
    pdf.table(columns, ((ln.description, _qty(ln.quantity), unit_price(ln.unit_price_cents),
                         format_cents(ln.amount_cents)) for ln in doc.charges))
    pdf.ln(4)
    tax_note = (f"The total includes {doc.tax_name} of {doc.currency} {format_cents(doc.tax_cents)}."
                if doc.is_tax_invoice else None)
    pdf.totals(doc.totals_rows(), tax_note)
    pdf.payment_and_contact(supplier)
    return bytes(pdf.output())

