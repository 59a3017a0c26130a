"""Integrity queries behind the asset checks: each returns the rows that break a rule, for a month."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

import sqlalchemy as sa

from arcadia_pipelines.billing.invoice import invoice_totals
from arcadia_pipelines.billing.money import exact
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import TaxRate
from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.reads import billed_subscriptions
from arcadia_pipelines.warehouse.schema import (deployment_quotes, deployment_usage, tenant_invoice_lines,
                                                tenant_invoices, tenants, usage_evidence)

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


# Every invoice of the month is judged in Python: read a batch at a time (a server-side cursor on
# PostgreSQL), so a month of a million invoices is checked in constant memory.
STREAMED_ROWS = 10_000


class WrongTax(NamedTuple):
    tenant_id: str
    charged: int | str
    expected: int | str


def _applied_tax_lines(period: Period) -> sa.Select:
    """Each invoice of the period with the tax it applied and its tax line(s)."""
    i, ln = tenant_invoices, tenant_invoice_lines
    return (sa.select(i.c.tenant_id, i.c.currency, i.c.subtotal_cents, i.c.tax_cents, i.c.tax_name, i.c.tax_rate,
                      tenants.c.country, sa.func.count(ln.c.id).label("tax_lines"),
                      sa.func.min(ln.c.description).label("description"), sa.func.min(ln.c.quantity).label("quantity"))
            .join(tenants, tenants.c.id == i.c.tenant_id)
            .outerjoin(ln, sa.and_(ln.c.invoice_id == i.c.id, ln.c.kind == "tax"))
            .where(i.c.period_start == period.start)
            .group_by(i.c.id, i.c.tenant_id, i.c.currency, i.c.subtotal_cents, i.c.tax_cents, i.c.tax_name,
                      i.c.tax_rate, tenants.c.country))


def _tax_text(lines: int, description: str | None, rate, name: str | None = None) -> str:
    if not lines:
        return "no tax line" + (f" (tax_name {name!r} without a tax_rate)" if name else "")
    return f"tax line {description!r} at {rate}" + (f" ({lines} tax lines)" if lines > 1 else "")


def wrong_tax(conn: sa.Connection, period: Period) -> list[WrongTax]:
    """Invoices whose tax is not round half up(subtotal x the rate the invoice applied), 0 without
    one, or whose tax line does not state that rate: (tenant, what it charged, what the rule gives).

    Judged against the invoice's own `tax_name`/`tax_rate`, not today's `tax_rates`: invoices a
    re-run keeps were right with the rate of their day."""
    rates: dict[tuple, TaxRate] = {}  # one per distinct applied rate: its description is built once

    def applied_rate(country: str, name: str | None, rate: Decimal) -> TaxRate:
        key = (country, name, rate)
        if key not in rates:
            rates[key] = TaxRate(country, period.start, name or "", exact(rate))
        return rates[key]

    wrong = []
    for tenant, currency, subtotal, tax_cents, name, rate, country, lines, description, quantity in (
            conn.execute(_applied_tax_lines(period).execution_options(yield_per=STREAMED_ROWS))):
        rule = invoice_totals(currency, subtotal, None if rate is None else applied_rate(country, name, rate))
        line = rule.tax_line
        stated = (lines, description, quantity, name)
        if rule.tax_cents != tax_cents:
            wrong.append(WrongTax(tenant, tax_cents, rule.tax_cents))
        elif stated != ((1, line.description, rate, name) if line else (0, None, None, None)):
            wrong.append(WrongTax(tenant, _tax_text(*stated),
                                  _tax_text(1, line.description, rate) if line else _tax_text(0, None, None)))
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


class EvidenceMismatch(NamedTuple):
    tenant_id: str
    subscription_id: str
    meter: str
    usage: Decimal | Fraction | None  # None: no deployment_usage row
    evidence: Decimal | Fraction | None  # the evidence rows' sum; None: no row, or one that is no number
    evidence_rows: int


def usage_not_matching_evidence(conn: sa.Connection, period: Period) -> list[EvidenceMismatch]:
    """Each (subscription, meter) of the month whose `deployment_usage` quantity is not exactly the
    sum of its `usage_evidence` rows: usage without evidence, evidence without usage, or another
    sum. Exact: NUMERIC on PostgreSQL; on SQLite integer sums when every quantity of the month is a
    whole number (what its month-end writes for whole sizes), else rationals in Python."""
    u, ev = deployment_usage, usage_evidence
    dialect = dialect_of(conn)
    if dialect.decimals_as_text and conn.execute(sa.union_all(*(
            sa.select(sa.literal_column("1")).where(t.c.period_start == period.start, _not_whole(t.c.quantity))
            for t in (u, ev))).limit(1)).first():
        return _mismatches_in_python(conn, period)
    number = dialect.whole_number
    # Evidence summed per (subscription, meter) first, then set against the one usage row of each:
    # grouping the month's evidence and usage rows together sorted them all, several times slower.
    summed = (sa.select(ev.c.subscription_id, ev.c.meter, sa.func.min(ev.c.tenant_id).label("tenant_id"),
                        sa.func.sum(number(ev.c.quantity)).label("evidence"), sa.func.count().label("rows"))
              .where(ev.c.period_start == period.start).group_by(ev.c.subscription_id, ev.c.meter)).cte("evidence")
    used = (sa.select(u.c.tenant_id, u.c.subscription_id, u.c.meter, number(u.c.quantity).label("usage"))
            .where(u.c.period_start == period.start)).subquery("used")
    same_key = sa.and_(summed.c.subscription_id == used.c.subscription_id, summed.c.meter == used.c.meter)
    tenant = sa.case((sa.or_(summed.c.tenant_id.is_(None), used.c.tenant_id <= summed.c.tenant_id), used.c.tenant_id),
                     else_=summed.c.tenant_id)  # the smaller of the two, as min() over both kinds of row
    with_usage = (sa.select(tenant.label("tenant_id"), used.c.subscription_id, used.c.meter, used.c.usage,
                            summed.c.evidence, sa.func.coalesce(summed.c.rows, 0).label("rows"))
                  .select_from(used.outerjoin(summed, same_key))
                  .where(used.c.usage != sa.func.coalesce(summed.c.evidence, 0)))
    without_usage = (sa.select(summed.c.tenant_id, summed.c.subscription_id, summed.c.meter, sa.null(),
                               summed.c.evidence, summed.c.rows)
                     .where(~sa.exists().where(u.c.period_start == period.start,
                                               u.c.subscription_id == summed.c.subscription_id,
                                               u.c.meter == summed.c.meter)))
    found = sa.union_all(with_usage, without_usage).subquery()
    return [EvidenceMismatch(t, s, m, None if q is None else Decimal(q), Decimal(e) if n else None, n)
            for t, s, m, q, e, n in conn.execute(sa.select(found).order_by(found.c.subscription_id, found.c.meter))]


def _not_whole(quantity: sa.Column) -> sa.ColumnElement[bool]:
    """SQLite: decimal text that is not a whole number CAST(… AS INTEGER) reads exactly."""
    q = sa.cast(quantity, sa.Text)
    return sa.or_(q.op("GLOB")(sa.literal("*[^0-9]*", sa.Text)), q == "", sa.func.length(q) > 15)


def _mismatches_in_python(conn: sa.Connection, period: Period) -> list[EvidenceMismatch]:
    u, ev = deployment_usage, usage_evidence
    usage = {(s, m): (t, q) for t, s, m, q in conn.execute(
        sa.select(u.c.tenant_id, u.c.subscription_id, u.c.meter, u.c.quantity).where(u.c.period_start == period.start))}
    evidence: dict[tuple[str, str], list] = defaultdict(lambda: [None, Fraction(0), 0])  # tenant, sum, rows
    for t, s, m, q in conn.execute(sa.select(ev.c.tenant_id, ev.c.subscription_id, ev.c.meter, ev.c.quantity)
                                   .where(ev.c.period_start == period.start)):
        found = evidence[(s, m)]
        found[0] = t
        found[1] = found[1] + exact(q) if isinstance(q, Decimal) and found[1] is not None else None
        found[2] += 1
    wrong = []
    for key in sorted(usage.keys() | evidence.keys()):
        tenant, used = usage.get(key, (None, None))
        ev_tenant, total, rows = evidence.get(key, (None, Fraction(0), 0))
        usage_value = exact(used) if isinstance(used, Decimal) else None  # None: no row, or no number
        if usage_value is None or total is None or usage_value != total:
            wrong.append(EvidenceMismatch(tenant or ev_tenant, *key, used, total if rows else None, rows))
    return wrong
