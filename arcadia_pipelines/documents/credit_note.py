"""A credit note as PDF and CSV, from the warehouse's note, its invoice and the supplier's details.

A note on a tax invoice is an Australian adjustment note: the words "Adjustment note", the
supplier's name and ABN, its number and date, the tax invoice it adjusts, why, the buyer, the
amounts credited, the GST credited and the total including GST. It prints the billing details
its invoice printed (snapshotted when the invoice was issued). Its dates come from the warehouse,
never from the clock, so rendering a note twice gives the same bytes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.warehouse.credit_notes import get_credit_note
from arcadia_pipelines.warehouse.schema import tenant_invoices, tenants

from .invoice_csv import units
from .invoice_pdf import DocumentError, latin1
from .supplier import Supplier


@dataclass(frozen=True)
class CreditNoteDocument:
    id: int
    number: str
    created_at: datetime
    reason: str
    tenant_id: str
    invoice_id: int
    invoice_number: str | None
    invoice_issued_at: datetime | None
    currency: str
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    tax_name: str | None
    tax_rate: Decimal | None
    bill_to_name: str
    bill_to_address: str | None
    bill_to_tax_id: str | None
    lines: tuple[dict, ...]  # line_no, invoice_line_id, description, amount_cents

    @property
    def is_adjustment_note(self) -> bool:
        """It corrects a tax invoice (credit notes exist only on issued or paid invoices)."""
        return self.tax_name is not None


def load_credit_note_document(conn: sa.Connection, note_id: int, tenant_id: str | None = None) -> CreditNoteDocument:
    """The note in `tenant_id`'s scope (every tenant's when None); CreditNoteNotFound otherwise."""
    note = get_credit_note(conn, note_id, tenant_id)
    i, t = tenant_invoices, tenants
    inv = conn.execute(sa.select(i.c.number, i.c.issued_at, i.c.bill_to_name, i.c.bill_to_address, i.c.bill_to_tax_id,
                                 t.c.name, t.c.legal_name, t.c.billing_address, t.c.tax_id)
                       .join(t, t.c.id == i.c.tenant_id).where(i.c.id == note["invoice_id"])).one()
    snapshot = inv.number is not None  # issued through the numbering move: print what the invoice printed
    return CreditNoteDocument(
        id=note["id"], number=note["number"], created_at=note["created_at"], reason=note["reason"],
        tenant_id=note["tenant_id"], invoice_id=note["invoice_id"], invoice_number=inv.number,
        invoice_issued_at=inv.issued_at, currency=note["currency"], subtotal_cents=note["subtotal_cents"],
        tax_cents=note["tax_cents"], total_cents=note["total_cents"], tax_name=note["tax_name"],
        tax_rate=note["tax_rate"],
        bill_to_name=inv.bill_to_name if snapshot else inv.legal_name or inv.name,
        bill_to_address=inv.bill_to_address if snapshot else inv.billing_address,
        bill_to_tax_id=inv.bill_to_tax_id if snapshot else inv.tax_id,
        lines=tuple(note["lines"]))


def title(doc: CreditNoteDocument) -> str:
    return "Adjustment note" if doc.is_adjustment_note else "Credit note"


def _rate(doc: CreditNoteDocument) -> str:
    return f" {(doc.tax_rate * 100).normalize():f}%" if doc.tax_rate is not None else ""


def render_credit_note_pdf(doc: CreditNoteDocument, supplier: Supplier) -> bytes:
    """The note's PDF; DocumentError when an adjustment note lacks the supplier's name or ABN."""
    missing = supplier.missing_for_tax_invoice() if doc.is_adjustment_note else []
    if missing:
        raise DocumentError(f"credit note {doc.number} is an adjustment note: set {' and '.join(missing)} to print it")
    pdf = FPDF(format="A4")
    pdf.set_creation_date(doc.created_at)
    pdf.set_title(latin1(f"{title(doc)} {doc.number}"))
    pdf.set_author(latin1(supplier.name or ""))
    pdf.add_page()

    def line(text: str, size: float = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, height, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def pair(label: str, value: str) -> None:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(45, 5, latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(title(doc), size=20, style="B", height=10)
    pdf.ln(2)
    for text, style in ((supplier.name, "B"), *((a, "") for a in (supplier.address or "").splitlines()),
                        (supplier.abn and f"ABN {supplier.abn}", "")):
        if text:
            line(text, style=style)
    pdf.ln(4)
    pair("Credit note number", doc.number)
    pair("Date", doc.created_at.date().isoformat())
    adjusted = doc.invoice_number or f"#{doc.invoice_id}"
    issued = f", issued {doc.invoice_issued_at.date().isoformat()}" if doc.invoice_issued_at else ""
    pair("Adjusts invoice", f"{adjusted}{issued}")
    pair("Reason", doc.reason)
    pdf.ln(4)
    line("Bill to", style="B")
    for text in (doc.bill_to_name, *(doc.bill_to_address or "").splitlines(),
                 doc.bill_to_tax_id and f"ABN {doc.bill_to_tax_id}"):
        if text:
            line(text)
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(col_widths=(150, 30), text_align=("LEFT", "RIGHT"), first_row_as_headings=True) as table:
        table.row(["Credited", f"Amount {doc.currency}"])
        for ln in doc.lines:
            table.row([latin1(ln["description"]), format_cents(ln["amount_cents"])])
    pdf.ln(4)
    tax = doc.tax_name or "Tax"
    rows = [(f"Credited{' excluding ' + tax if doc.tax_name else ''}", doc.subtotal_cents)]
    if doc.tax_name:
        rows.append((f"{tax}{_rate(doc)} credited", doc.tax_cents))
    rows.append((f"Total credited{' including ' + tax if doc.tax_name else ''} {doc.currency}", doc.total_cents))
    for n, (label, cents) in enumerate(rows):
        pdf.set_font("Helvetica", "B" if n == len(rows) - 1 else "", 10)
        pdf.cell(150, 6, latin1(label), align="R")
        pdf.cell(30, 6, format_cents(cents), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.is_adjustment_note:
        pdf.ln(2)
        line(f"This adjustment reduces the {tax} payable on invoice {adjusted} by {doc.currency} "
             f"{format_cents(doc.tax_cents)}.", size=9)
    return bytes(pdf.output())


CSV_COLUMNS = ("credit_note_id", "number", "date", "invoice_id", "invoice_number", "tenant_id", "bill_to_name",
               "bill_to_tax_id", "currency", "reason", "line_no", "kind", "invoice_line_id", "description",
               "amount_cents", "amount", "note_subtotal_cents", "note_tax_cents", "note_total_cents")


def render_credit_note_csv(doc: CreditNoteDocument) -> str:
    """One row per line credited, then the tax row (when tax applies), each with the note's header columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    head = (doc.id, doc.number, doc.created_at.date().isoformat(), doc.invoice_id, doc.invoice_number or "",
            doc.tenant_id, doc.bill_to_name, doc.bill_to_tax_id or "", doc.currency, doc.reason)
    totals = (doc.subtotal_cents, doc.tax_cents, doc.total_cents)
    rows = [(ln["line_no"], "credit", ln["invoice_line_id"], ln["description"], ln["amount_cents"]) for ln in doc.lines]
    if doc.tax_name:
        rows.append((len(rows) + 1, "tax", "", f"{doc.tax_name}{_rate(doc)}", doc.tax_cents))
    for line_no, kind, line_id, description, cents in rows:
        writer.writerow((*head, line_no, kind, line_id, description, cents, units(cents), *totals))
    return out.getvalue()
