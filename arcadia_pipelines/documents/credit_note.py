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

import sqlalchemy as sa

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.warehouse.credit_notes import get_credit_note
from arcadia_pipelines.warehouse.schema import tenant_invoices, tenants

from .invoice_csv import units
from .invoice_pdf import DESCRIPTION_LINES
from .pdf_layout import AMOUNT_WIDTH, TABLE_WIDTH, Column, DocumentError, DocumentPdf
from .supplier import Supplier
from .totals import DocumentTotals, rate_text


@dataclass(frozen=True)
class CreditNoteDocument(DocumentTotals):
    id: int
    number: str
    created_at: datetime
    reason: str
    tenant_id: str
    invoice_id: int
    invoice_number: str | None
    invoice_issued_at: datetime | None
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


REASON_LINES = 12  # a reason is at most 1,000 characters (billing/credit_notes.py); a longer stored one is cut


def title(doc: CreditNoteDocument) -> str:
    return "Adjustment note" if doc.is_adjustment_note else "Credit note"


def render_credit_note_pdf(doc: CreditNoteDocument, supplier: Supplier) -> bytes:
    """The note's PDF; DocumentError when an adjustment note lacks the supplier's name or ABN."""
    missing = supplier.missing_for_tax_invoice() if doc.is_adjustment_note else []
    if missing:
        raise DocumentError(f"credit note {doc.number} is an adjustment note: set {' and '.join(missing)} to print it")
    pdf = DocumentPdf(f"{title(doc)} {doc.number}", doc.created_at, supplier.name)
    pdf.field(title(doc), size=20, style="B", height=10, max_lines=1)
    pdf.ln(2)
    pdf.supplier(supplier)
    pdf.ln(4)
    pdf.pair("Credit note number", doc.number)
    pdf.pair("Date", doc.created_at.date().isoformat())
    adjusted = doc.invoice_number or f"#{doc.invoice_id}"
    issued = f", issued {doc.invoice_issued_at.date().isoformat()}" if doc.invoice_issued_at else ""
    pdf.pair("Adjusts invoice", f"{adjusted}{issued}")
    pdf.pair("Reason", doc.reason, max_lines=REASON_LINES)
    pdf.ln(4)
    pdf.bill_to(doc.bill_to_name, doc.bill_to_address, doc.bill_to_tax_id)
    pdf.ln(4)
    pdf.table((Column("Credited", TABLE_WIDTH - AMOUNT_WIDTH, "L", DESCRIPTION_LINES),
               Column(f"Amount {doc.currency}", AMOUNT_WIDTH)),
              ((ln["description"], format_cents(ln["amount_cents"])) for ln in doc.lines))
    pdf.ln(4)
    rows = doc.totals_rows("Credited", "Total credited", " credited")
    pdf.totals(rows, f"This adjustment reduces the {doc.tax_name} payable on invoice {adjusted} by {doc.currency} "
                     f"{format_cents(doc.tax_cents)}." if doc.is_adjustment_note else None)
    pdf.payment_and_contact(supplier)
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
        rows.append((len(rows) + 1, "tax", "", f"{doc.tax_name}{rate_text(doc.tax_rate)}", doc.tax_cents))
    for line_no, kind, line_id, description, cents in rows:
        writer.writerow((*head, line_no, kind, line_id, description, cents, units(cents), *totals))
    return out.getvalue()
