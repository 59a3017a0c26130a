"""`deployment_quotes`: the quote engine's lines for every billed subscription of a period.

Tenants are quoted a batch at a time (memory stays flat as tenants grow) and each batch's lines
are bulk-inserted, all in the stage's one transaction; a batch is inserted while the next one
is quoted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.billing.bounds import check_subtotal
from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import one_currency
from arcadia_pipelines.billing.money import to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import PriceBook
from arcadia_pipelines.billing.quote import SubscriptionQuote, SubscriptionTerms, quote_subscription
from arcadia_pipelines.warehouse.reads import TenantRange, billed_terms, load_price_book, tenant_ranges
from arcadia_pipelines.warehouse.schema import deployment_quotes, deployment_usage
from arcadia_pipelines.warehouse.sqlfuncs import refresh_statistics

from .billing_errors_store import failed_tenants, replace_errors
from .stage import month_end_stage
from .write_behind import WriteBehind


@dataclass
class QuotesResult:
    rows: int = 0
    subscriptions: int = 0
    tenants: int = 0
    amount_cents_by_currency: dict[str, int] = field(default_factory=dict)
    errors: list[BillingError] = field(default_factory=list)


@dataclass(frozen=True)
class _Batch:
    """What the quote engine needs for a range of tenants, read before it starts."""

    usage: dict[str, dict[str, Decimal]]  # subscription -> meter -> quantity
    billed: list[tuple[SubscriptionTerms, str | None]]  # terms and the deployment's tenant


def _read_batch(conn: sa.Connection, period: Period, tenant_range: TenantRange) -> _Batch:
    u = deployment_usage
    usage: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for subscription_id, meter, quantity in conn.execute(
            sa.select(u.c.subscription_id, u.c.meter, u.c.quantity)
            .where(u.c.period_start == period.start, *tenant_range.where(u.c.tenant_id))):
        usage[subscription_id][meter] = quantity
    return _Batch(usage, billed_terms(conn, period, tenant_range))


def quote_tenants(batch: _Batch, period: Period, book: PriceBook,
                  skip: set[str]) -> Iterator[tuple[str, list[SubscriptionQuote], list[BillingError]]]:
    """Each tenant of the batch with its quotes, or, when any of its input is bad, with its
    errors and no quotes."""
    for tenant_id, billed in groupby(batch.billed, key=lambda b: b[0].tenant_id):
        if tenant_id in skip:
            continue
        quotes, errors = [], []
        for terms, deployment_tenant in billed:
            try:
                if deployment_tenant != terms.tenant_id:
                    raise BillingError("deployment_of_another_tenant",
                                       f"deployment {terms.deployment_id} belongs to "
                                       f"{deployment_tenant or 'no tenant'}",
                                       tenant_id=terms.tenant_id, subscription_id=terms.id)
                quote = quote_subscription(book, period, terms, batch.usage.get(terms.id, {}))
                if quote:
                    quotes.append(quote)
            except BillingError as e:
                errors.append(e)
        if quotes:
            try:
                one_currency(tenant_id, (q.currency for q in quotes))
                check_subtotal(tenant_id, sum(q.subtotal_cents for q in quotes))
            except BillingError as e:
                errors.append(e)
        yield tenant_id, [] if errors else quotes, errors


# Small batches: while one is inserted (on the write-behind thread) the next is quoted.
QUOTE_BATCH_TENANTS = 1000
QUOTE_COLUMNS = ("period_start", "subscription_id", "line_no", "tenant_id", "deployment_id", "window_start",
                 "window_end", "kind", "resource_kind", "meter", "description", "quantity", "unit_price_cents",
                 "amount_cents", "currency")


def quote_rows(period: Period, quote: SubscriptionQuote) -> list[tuple]:
    """The quote's `deployment_quotes` rows, values in QUOTE_COLUMNS order."""
    sub, start, end = quote.subscription, quote.window.start_at, quote.window.end_at
    return [(period.start, sub.id, n, sub.tenant_id, sub.deployment_id, start, end, line.kind, line.resource_kind,
             line.meter, line.description, to_decimal(line.quantity), to_decimal(line.unit_price_cents, 12),
             line.amount_cents, quote.currency)
            for n, line in enumerate(quote.lines, start=1)]


def write_quotes(engine: sa.Engine, period: Period) -> QuotesResult:
    """Replace the period's quotes in one transaction."""
    result = QuotesResult()
    amounts = result.amount_cents_by_currency
    with month_end_stage(engine, period_start=period.start, heavy=True) as conn:
        book = load_price_book(conn)
        skip = failed_tenants(conn, period, ("usage",))
        conn.execute(sa.delete(deployment_quotes).where(deployment_quotes.c.period_start == period.start))
        ranges = list(tenant_ranges(conn, QUOTE_BATCH_TENANTS))
        batch = _read_batch(conn, period, ranges[0])
        with WriteBehind(conn) as writer:
            for next_range in [*ranges[1:], None]:
                rows = []
                for _, quotes, errors in quote_tenants(batch, period, book, skip):
                    rows += [row for q in quotes for row in quote_rows(period, q)]
                    result.errors += errors
                    result.tenants += bool(quotes)
                    result.subscriptions += len(quotes)
                writer.wait()
                batch = _read_batch(conn, period, next_range) if next_range else None
                writer.write(deployment_quotes, rows, QUOTE_COLUMNS)
                result.rows += len(rows)
                for *_, amount, currency in rows:
                    amounts[currency] = amounts.get(currency, 0) + amount
        replace_errors(conn, period, "quotes", result.errors)
        q = deployment_quotes
        refresh_statistics(conn, q.c.period_start, q.c.tenant_id, q.c.subscription_id)
    return result
