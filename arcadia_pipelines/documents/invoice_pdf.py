"""An invoice as PDF (fpdf2): an Australian tax invoice when a tax applies.

A tax invoice shows the words "Tax invoice", the supplier's name and ABN, the issue date, the
invoice number, each line, the GST amount and the total including GST, and from a total of
$1,000 the buyer's identity (the buyer's name, and ABN when known, are printed on every invoice).
A draft is marked "DRAFT - not a tax invoice". The document's dates come from the invoice, never
from the clock, so rendering an invoice twice gives the same bytes.

fpdf2's built-in fonts are Latin-1 only (no font ships with it): other characters are printed
without their accents, or as '?'.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from arcadia_pipelines.billing.money import format_cents

from .invoice_data import InvoiceDocument
from .supplier import Supplier

DRAFT_MARK = "DRAFT - not a tax invoice"


class DocumentError(Exception):
    """The document cannot be made as the law requires (e.g. a tax invoice without the supplier's ABN)."""


def latin1(text: str) -> str:
    """What the built-in fonts can print: accents dropped, anything else outside Latin-1 as '?'."""
    text = text.replace("\u2014", "-").replace("\u2013", "-").replace("\u2019", "'")
    if text.isascii():
        return text
    decomposed = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", decomposed).encode("latin-1", "replace").decode("latin-1")


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"  # exact, never in exponent form


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else "-"


def title(doc: InvoiceDocument) -> str:
    if doc.status == "draft":
        return DRAFT_MARK
    return "Tax invoice" if doc.is_tax_invoice else "Invoice"


class _Pdf(FPDF):
    def write_line(self, text: str, size: float = 10, style: str = "", height: float = 5) -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, height, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def pair(self, label: str, value: str) -> None:
        self.set_font("Helvetica", "B", 10)
        self.cell(40, 5, latin1(label))
        self.set_font("Helvetica", "", 10)
        self.cell(0, 5, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_invoice_pdf(doc: InvoiceDocument, supplier: Supplier) -> bytes:
    """The invoice's PDF; DocumentError when a tax invoice lacks the supplier's name or ABN."""
    missing = supplier.missing_for_tax_invoice() if doc.is_tax_invoice else []
    if missing:
        raise DocumentError(f"invoice {doc.id} is a tax invoice: set {' and '.join(missing)} to print it")
    pdf = _Pdf(format="A4")
    pdf.set_creation_date(doc.issued_at or doc.updated_at)
    pdf.set_title(latin1(f"{title(doc)} {doc.number or f'#{doc.id}'}"))
    pdf.set_author(latin1(supplier.name or ""))
    pdf.add_page()
    pdf.write_line(title(doc), size=20, style="B", height=10)
    if doc.status in ("paid", "void"):
        pdf.write_line(doc.status.upper(), size=14, style="B", height=8)
    pdf.ln(2)
    if supplier.name:
        pdf.write_line(supplier.name, style="B")
    for text in (supplier.address or "").splitlines():
        pdf.write_line(text)
    if supplier.abn:
        pdf.write_line(f"ABN {supplier.abn}")
    pdf.ln(4)
    pdf.pair("Invoice number", doc.number or "(assigned when issued)")
    pdf.pair("Issue date", _day(doc.issued_at))
    pdf.pair("Due date", _day(doc.due_at))
    last_day = doc.period_end - timedelta(days=1)
    pdf.pair("Period", f"{doc.period_start:%B %Y} ({doc.period_start.isoformat()} to {last_day.isoformat()})")
    pdf.ln(4)
    pdf.write_line("Bill to", style="B")
    pdf.write_line(doc.bill_to_name)
    for text in (doc.bill_to_address or "").splitlines():
        pdf.write_line(text)
    if doc.bill_to_tax_id:
        pdf.write_line(f"ABN {doc.bill_to_tax_id}")
    pdf.ln(4)
    _lines_table(pdf, doc)
    pdf.ln(4)
    _totals(pdf, doc)
    return bytes(pdf.output())


def _lines_table(pdf: _Pdf, doc: InvoiceDocument) -> None:
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(col_widths=(95, 25, 30, 30), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   first_row_as_headings=True) as table:
        table.row(["Description", "Quantity", "Unit price (cents)", f"Amount {doc.currency}"])
        for ln in doc.charges:
            table.row([latin1(ln.description), _qty(ln.quantity), _qty(ln.unit_price_cents),
                       format_cents(ln.amount_cents)])


def _totals(pdf: _Pdf, doc: InvoiceDocument) -> None:
    tax = doc.tax_name or "Tax"
    rows = [(f"Subtotal{' excluding ' + tax if doc.tax_name else ''}", doc.subtotal_cents)]
    if doc.tax_name:
        rate = f" {(doc.tax_rate * 100).normalize():f}%" if doc.tax_rate is not None else ""
        rows.append((f"{tax}{rate}", doc.tax_cents))
    rows.append((f"Total{' including ' + tax if doc.tax_name else ''} {doc.currency}", doc.total_cents))
    for n, (label, cents) in enumerate(rows):
        pdf.set_font("Helvetica", "B" if n == len(rows) - 1 else "", 10)
        pdf.cell(150, 6, latin1(label), align="R")
        pdf.cell(30, 6, format_cents(cents), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.is_tax_invoice:
        pdf.ln(2)
        pdf.write_line(f"The total includes {tax} of {doc.currency} {format_cents(doc.tax_cents)}.", size=9)
