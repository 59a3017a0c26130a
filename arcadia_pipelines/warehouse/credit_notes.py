"""Credit notes in the warehouse, read: in a tenant's scope, what an invoice's notes credited (its
balance, for documents and drift), and an invoice as a note would credit it (load_creditable).
Notes are made by invoicing/credit.py."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from arcadia_pipelines.billing.credit_notes import CreditableInvoice, CreditableLine
from arcadia_pipelines.billing.lifecycle import InvoiceNotFound

from .schema import credit_note_lines, credit_notes, tenant_invoice_lines, tenant_invoices

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


def find_credit_notes(conn: sa.Connection, limit: int, *, scope: str | None = None,
                      tenant_id: str | None = None, number: str | None = None,
                      before_id: int | None = None) -> list[dict]:
    """At most `limit` notes, newest first (id descending), each with its lines: in `scope`'s tenant
    (every tenant's when None), narrowed to `tenant_id` and `number` when given, ids below `before_id`."""
    cn = credit_notes
    wanted = [cn.c.tenant_id == t for t in (scope, tenant_id) if t is not None]
    wanted += [*([cn.c.number == number] if number is not None else []),
               *([cn.c.id < before_id] if before_id is not None else [])]
    ids = list(conn.scalars(sa.select(cn.c.id).where(*wanted).order_by(cn.c.id.desc()).limit(limit)))
    return _notes(conn, cn.c.id.in_(ids))[::-1] if ids else []
