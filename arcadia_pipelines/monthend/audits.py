"""Integrity queries behind the asset checks: each returns the rows that break a rule, for a month."""

from __future__ import annotations

import sqlalchemy as sa

from arcadia_pipelines.billing.invoice import invoice_totals
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.reads import billed_subscriptions, load_price_book
from arcadia_pipelines.warehouse.schema import (deployment_quotes, deployment_usage, tenant_invoice_lines,
                                                tenant_invoices, tenants)

from .billing_errors_store import failed_tenants


def _line_sums(period: Period):
    ln, i = tenant_invoice_lines, tenant_invoices
    non_tax = sa.func.coalesce(sa.func.sum(sa.case((ln.c.kind != "tax", ln.c.amount_cents), else_=0)), 0)
    tax = sa.func.coalesce(sa.func.sum(sa.case((ln.c.kind == "tax", ln.c.amount_cents), else_=0)), 0)
    return (sa.select(i.c.id, i.c.tenant_id, i.c.subtotal_cents, i.c.tax_cents, i.c.total_cents,
                      sa.cast(non_tax, sa.BigInteger).label("lines_subtotal"),
                      sa.cast(tax, sa.BigInteger).label("lines_tax"))
            .outerjoin(ln, ln.c.invoice_id == i.c.id)
            .where(i.c.period_start == period.start)
            .group_by(i.c.id, i.c.tenant_id, i.c.subtotal_cents, i.c.tax_cents, i.c.total_cents))


def invoices_not_adding_up(conn: sa.Connection, period: Period) -> list:
    """Invoices whose lines do not sum to their subtotal and tax, or whose total is not their sum."""
    s = _line_sums(period).subquery()
    return conn.execute(sa.select(s).where(sa.or_(
        s.c.lines_subtotal != s.c.subtotal_cents, s.c.lines_tax != s.c.tax_cents,
        s.c.subtotal_cents + s.c.tax_cents != s.c.total_cents))).all()


def duplicate_invoices(conn: sa.Connection, period: Period) -> list:
    i = tenant_invoices
    return conn.execute(sa.select(i.c.tenant_id, sa.func.count().label("invoices"))
                        .where(i.c.period_start == period.start).group_by(i.c.tenant_id)
                        .having(sa.func.count() > 1)).all()


def wrong_tax(conn: sa.Connection, period: Period) -> list[tuple[str, int, int]]:
    """(tenant, tax charged, tax the rule gives) for invoices whose tax is not the rule's."""
    book = load_price_book(conn)
    i = tenant_invoices
    rows = conn.execute(sa.select(i.c.tenant_id, i.c.currency, i.c.subtotal_cents, i.c.tax_cents, tenants.c.country)
                        .join(tenants, tenants.c.id == i.c.tenant_id)
                        .where(i.c.period_start == period.start)).all()
    wrong = []
    for r in rows:
        expected = invoice_totals(r.currency, r.subtotal_cents, book.tax_rate(r.country, period.start)).tax_cents
        if expected != r.tax_cents:
            wrong.append((r.tenant_id, r.tax_cents, expected))
    return wrong


def unquoted_subscriptions(conn: sa.Connection, period: Period) -> list:
    """Billed subscriptions of tenants without bad input that produced no quote lines."""
    billed = billed_subscriptions(period).subquery()
    q = deployment_quotes
    # NOT EXISTS, not NOT IN: PostgreSQL plans NOT IN over a large subquery as a nested loop.
    quoted = sa.exists().where(q.c.period_start == period.start, q.c.subscription_id == billed.c.id)
    rows = conn.execute(sa.select(billed.c.id, billed.c.tenant_id)
                        .where(billed.c.we > billed.c.ws, ~quoted)).all()
    skip = failed_tenants(conn, period, ("usage", "quotes"))
    return [r for r in rows if r.tenant_id not in skip]


def negative_usage(conn: sa.Connection, period: Period) -> list:
    u = deployment_usage
    return conn.execute(sa.select(u.c.tenant_id, u.c.subscription_id, u.c.meter, u.c.quantity)
                        .where(u.c.period_start == period.start, sa.cast(u.c.quantity, sa.Numeric) < 0)).all()


