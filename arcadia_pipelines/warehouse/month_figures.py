"""A month's money in integer cents per currency, summed in SQL: what its invoices billed and what
credit notes took back. The Dagster assets turn these into the numbers their Plots tab draws.

Void invoices bill nothing and are left out; a credit note counts in the month of the invoice it
credits (it restates that month), whenever it was made.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period

from .schema import credit_note_lines, credit_notes, tenant_invoice_lines, tenant_invoices


def _cents(column: sa.ColumnElement) -> sa.ColumnElement:
    """SUM as a whole number on both backends (PostgreSQL sums bigint as numeric), 0 over no rows."""
    return sa.cast(sa.func.coalesce(sa.func.sum(column), 0), sa.BigInteger)


@dataclass(frozen=True)
class Invoiced:
    """One currency's invoices of a month."""
    invoices: int
    tenants: int
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    credited_cents: int = 0  # credit notes on these invoices, tax included


def invoiced(conn: sa.Connection, period: Period) -> dict[str, Invoiced]:
    """{currency: what the month's non-void invoices in it billed, and what notes credited on them}."""
    i, cn = tenant_invoices, credit_notes
    billed = conn.execute(
        sa.select(i.c.currency, sa.func.count(), sa.func.count(sa.distinct(i.c.tenant_id)), _cents(i.c.subtotal_cents),
                  _cents(i.c.tax_cents), _cents(i.c.total_cents))
        .where(i.c.period_start == period.start, i.c.status != "void").group_by(i.c.currency)).all()
    credited = dict(conn.execute(
        sa.select(i.c.currency, _cents(cn.c.total_cents)).join(i, i.c.id == cn.c.invoice_id)
        .where(i.c.period_start == period.start, i.c.status != "void").group_by(i.c.currency)).all())
    return {c: Invoiced(n, tenants, sub, tax, total, credited.get(c, 0)) for c, n, tenants, sub, tax, total in billed}


def credited_revenue(conn: sa.Connection, period: Period) -> dict[tuple[str, str], int]:
    """{(currency, purpose): cents credited on the month's non-void invoice lines, tax excluded}:
    what correction notes take off revenue, and what goodwill notes conceded."""
    i, ln, cn, cnl = tenant_invoices, tenant_invoice_lines, credit_notes, credit_note_lines
    rows = conn.execute(
        sa.select(i.c.currency, cn.c.purpose, _cents(cnl.c.amount_cents))
        .select_from(cnl).join(cn, cn.c.id == cnl.c.credit_note_id).join(ln, ln.c.id == cnl.c.invoice_line_id)
        .join(i, i.c.id == ln.c.invoice_id)
        .where(i.c.period_start == period.start, i.c.status != "void").group_by(i.c.currency, cn.c.purpose))
    return {(currency, purpose): cents for currency, purpose, cents in rows}
