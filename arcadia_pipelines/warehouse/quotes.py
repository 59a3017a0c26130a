"""`deployment_quotes`: the quote engine's lines for every billed subscription of a period."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import one_currency
from arcadia_pipelines.billing.money import to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.quote import SubscriptionQuote, quote_subscription

from .billing_errors_store import failed_tenants, replace_errors
from .reads import billed_terms, load_price_book
from .schema import deployment_quotes, deployment_usage
from .sqlfuncs import lock_partition


@dataclass
class QuotesResult:
    rows: int = 0
    subscriptions: int = 0
    tenants: int = 0
    amount_cents_by_currency: dict[str, int] = field(default_factory=dict)
    errors: list[BillingError] = field(default_factory=list)


def _usage(conn: sa.Connection, period: Period) -> dict[str, dict[str, Fraction]]:
    u = deployment_usage
    usage: dict[str, dict[str, Fraction]] = defaultdict(dict)
    for r in conn.execute(sa.select(u.c.subscription_id, u.c.meter, u.c.quantity)
                          .where(u.c.period_start == period.start)):
        usage[r.subscription_id][r.meter] = Fraction(r.quantity)
    return usage


def quote_tenants(conn: sa.Connection, period: Period) -> tuple[dict[str, list[SubscriptionQuote]],
                                                                 list[BillingError]]:
    """Quotes per tenant; a tenant with any bad input gets none and its errors instead."""
    book = load_price_book(conn)
    usage = _usage(conn, period)
    skip = failed_tenants(conn, period, ("usage",))
    quotes: dict[str, list[SubscriptionQuote]] = defaultdict(list)
    errors: dict[str, list[BillingError]] = defaultdict(list)
    for terms, deployment_tenant in billed_terms(conn, period):
        if terms.tenant_id in skip:
            continue
        try:
            if deployment_tenant != terms.tenant_id:
                raise BillingError("deployment_of_another_tenant",
                                   f"deployment {terms.deployment_id} belongs to "
                                   f"{deployment_tenant or 'no tenant'}",
                                   tenant_id=terms.tenant_id, subscription_id=terms.id)
            quote = quote_subscription(book, period, terms, usage.get(terms.id, {}))
            if quote:
                quotes[terms.tenant_id].append(quote)
        except BillingError as e:
            errors[terms.tenant_id].append(e)
    for tenant_id, tenant_quotes in list(quotes.items()):
        try:
            one_currency(tenant_id, (q.currency for q in tenant_quotes))
        except BillingError as e:
            errors[tenant_id].append(e)
        if tenant_id in errors:
            del quotes[tenant_id]
    return quotes, [e for errs in errors.values() for e in errs]


def quote_rows(period: Period, quote: SubscriptionQuote) -> list[dict]:
    sub = quote.subscription
    return [{"period_start": period.start, "subscription_id": sub.id, "line_no": n,
             "tenant_id": sub.tenant_id, "deployment_id": sub.deployment_id,
             "window_start": quote.window.start_at, "window_end": quote.window.end_at, "kind": line.kind,
             "resource_kind": line.resource_kind, "meter": line.meter,
             "description": line.description, "quantity": to_decimal(line.quantity),
             "unit_price_cents": to_decimal(line.unit_price_cents, 12), "amount_cents": line.amount_cents,
             "currency": quote.currency}
            for n, line in enumerate(quote.lines, start=1)]


def write_quotes(engine: sa.Engine, period: Period) -> QuotesResult:
    """Replace the period's quotes in one transaction."""
    result = QuotesResult()
    with engine.begin() as conn:
        lock_partition(conn, "deployment_quotes", period.start)
        quotes, result.errors = quote_tenants(conn, period)
        rows = [row for tenant_quotes in quotes.values() for q in tenant_quotes
                for row in quote_rows(period, q)]
        conn.execute(sa.delete(deployment_quotes).where(deployment_quotes.c.period_start == period.start))
        if rows:
            conn.execute(sa.insert(deployment_quotes), rows)
        replace_errors(conn, period, "quotes", result.errors)
    result.rows = len(rows)
    result.tenants = len(quotes)
    result.subscriptions = sum(len(q) for q in quotes.values())
    for row in rows:
        c = row["currency"]
        result.amount_cents_by_currency[c] = result.amount_cents_by_currency.get(c, 0) + row["amount_cents"]
    return result
