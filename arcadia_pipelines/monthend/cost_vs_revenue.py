"""`cost_vs_revenue`: a month's revenue (invoice lines, tax excluded) against DigitalOcean's bill.

Rows are per tenant, deployment and resource kind. Cost is converted into the revenue currency
with the month's `fx_rates` (the pair as given, or its inverse); a missing rate leaves the
converted cost and margin null and names the pair. A stored rate that is no positive number
within billing/bounds.py (text SQLite kept, 0, negative) is treated as missing and named with
why. DigitalOcean cost on no known deployment has its own rows with no tenant, in the reporting
currency.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa

from arcadia_pipelines.billing.bounds import MAX_FX_RATE
from arcadia_pipelines.billing.money import round_half_up
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.schema import (
    cloud_invoice_items,
    cloud_invoices,
    cost_vs_revenue,
    deployments,
    fx_rates,
    tenant_invoice_lines,
    tenant_invoices,
)

from .stage import month_end_stage


@dataclass
class CostVsRevenueResult:
    rows: list[dict] = field(default_factory=list)
    missing_rates: set[tuple[str, str]] = field(default_factory=set)
    unusable_rates: dict[tuple[str, str], str] = field(default_factory=dict)  # missing pair -> why its rate is bad


def _revenue(conn, period):
    i, ln = tenant_invoices, tenant_invoice_lines
    q = (sa.select(i.c.tenant_id, ln.c.deployment_id, ln.c.resource_kind, i.c.currency,
                   sa.cast(sa.func.sum(ln.c.amount_cents), sa.BigInteger).label("cents"))
         .join(ln, ln.c.invoice_id == i.c.id)
         .where(i.c.period_start == period.start, i.c.status != "void", ln.c.kind != "tax")
         .group_by(i.c.tenant_id, ln.c.deployment_id, ln.c.resource_kind, i.c.currency))
    return conn.execute(q).all()


def _cost(conn, period):
    c, ci, d = cloud_invoice_items, cloud_invoices, deployments
    q = (sa.select(d.c.tenant_id, d.c.id.label("deployment_id"), c.c.resource_kind, ci.c.currency,
                   sa.cast(sa.func.sum(c.c.amount_cents), sa.BigInteger).label("cents"))
         .join(ci, ci.c.invoice_uuid == c.c.invoice_uuid)
         .outerjoin(d, d.c.id == c.c.deployment_id)
         .where(ci.c.period_start == period.start)
         .group_by(d.c.tenant_id, d.c.id, c.c.resource_kind, ci.c.currency))
    return conn.execute(q).all()


def _rate_problem(rate: object) -> str | None:
    """Why a stored rate cannot convert, or None. SQLite keeps any text (read as Unreadable)."""
    if not (isinstance(rate, Decimal) and rate.is_finite() and rate > 0):
        return f"rate {rate if isinstance(rate, Decimal) else repr(rate)} is not a positive number"
    if not Fraction(1, MAX_FX_RATE) <= Fraction(rate) <= MAX_FX_RATE:
        return f"rate {rate:f} is outside 1/{MAX_FX_RATE} to {MAX_FX_RATE} (billing/bounds.py)"
    return None


def _rates(conn, period_start: date) -> tuple[dict[tuple[str, str], Fraction], dict[tuple[str, str], str]]:
    """The month's usable rates, both ways round, and why each unusable stored one is unusable."""
    rates, unusable = {}, {}
    for r in conn.execute(sa.select(fx_rates).where(fx_rates.c.period_start == period_start)):
        pair = (r.base_currency, r.quote_currency)
        if problem := _rate_problem(r.rate):
            unusable[pair] = problem
            continue
        rates[pair] = Fraction(r.rate)
        rates.setdefault(pair[::-1], 1 / Fraction(r.rate))
    return rates, unusable


def why_no_rate(unusable: dict[tuple[str, str], str], base: str, quote: str) -> str | None:
    """Why base->quote has no rate when a stored row for it (or its inverse) is unusable, else None."""
    if (base, quote) in unusable:
        return unusable[(base, quote)]
    return f"{quote}->{base} {unusable[(quote, base)]}" if (quote, base) in unusable else None


def unusable_rates(conn: sa.Connection, period_start: date) -> dict[tuple[str, str], str]:
    """The month's stored rates that cannot convert, and why (for `why_no_rate`)."""
    return _rates(conn, period_start)[1]


def compute(conn: sa.Connection, period: Period, reporting_currency: str) -> CostVsRevenueResult:
    result = CostVsRevenueResult()
    revenue = {(r.tenant_id, r.deployment_id, r.resource_kind): r for r in _revenue(conn, period)}
    tenant_currency = {r.tenant_id: r.currency for r in revenue.values()}
    cost: dict[tuple, dict[str, int]] = defaultdict(dict)
    for r in _cost(conn, period):
        cost[(r.tenant_id, r.deployment_id, r.resource_kind)][r.currency] = r.cents
    rates, unusable = _rates(conn, period.start)
    for key in sorted(set(revenue) | set(cost), key=lambda k: tuple("" if v is None else v for v in k)):
        tenant_id, deployment_id, kind = key
        rev = revenue.get(key)
        rev_currency = rev.currency if rev else tenant_currency.get(tenant_id, reporting_currency)
        for cost_currency, cost_cents in (cost.get(key) or {None: 0}).items():
            converted = None
            if cost_currency in (None, rev_currency):
                converted = cost_cents
            elif (cost_currency, rev_currency) in rates:
                converted = round_half_up(cost_cents * rates[(cost_currency, rev_currency)])
            else:
                result.missing_rates.add((cost_currency, rev_currency))
                if why := why_no_rate(unusable, cost_currency, rev_currency):
                    result.unusable_rates[(cost_currency, rev_currency)] = why
            revenue_cents = rev.cents if rev else 0
            result.rows.append({
                "period_start": period.start, "tenant_id": tenant_id, "deployment_id": deployment_id,
                "resource_kind": kind, "revenue_cents": revenue_cents, "revenue_currency": rev_currency,
                "cost_cents": cost_cents, "cost_currency": cost_currency,
                "cost_in_revenue_currency_cents": converted,
                "margin_cents": None if converted is None else revenue_cents - converted})
            rev = None  # revenue counts once per key even if the bill mixes currencies
    return result


def write_cost_vs_revenue(engine: sa.Engine, period: Period, reporting_currency: str) -> CostVsRevenueResult:
    with month_end_stage(engine, "cost_vs_revenue", period.start) as conn:
        result = compute(conn, period, reporting_currency)
        conn.execute(sa.delete(cost_vs_revenue).where(cost_vs_revenue.c.period_start == period.start))
        if result.rows:
            conn.execute(sa.insert(cost_vs_revenue), result.rows)
    return result
