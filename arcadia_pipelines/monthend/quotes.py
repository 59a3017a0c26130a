"""`deployment_quotes`: the quote engine's lines for every billed subscription of a period.

Tenants are quoted a batch at a time (memory stays flat as tenants grow) and each batch's lines
are bulk-inserted, all in the stage's one transaction; a batch is inserted while the next one
is quoted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from itertools import groupby
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.billing.bounds import check_subtotal
from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import one_currency
from arcadia_pipelines.billing.money import to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import PriceBook
from arcadia_pipelines.billing.quote import QuoteLine, SubscriptionQuote, SubscriptionTerms, quote_subscription
from arcadia_pipelines.warehouse.reads import TenantRange, billed_terms, load_price_book, tenant_ranges
from arcadia_pipelines.warehouse.schema import deployment_quotes, deployment_usage
from arcadia_pipelines.warehouse.sqlfuncs import bulk_insert_encoded, row_encoder

from .billing_errors_store import failed_tenants, replace_errors
from .progress import stage_progress
from .shards import WHOLE_MONTH, Shard
from .stage import StageResult, month_end_stage
from .statistics import refresh
from .write_behind import WriteBehind


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
            .where(u.c.period_start == period.start, *tenant_range.where(u.c.tenant_id))).all():  # all: one fetch
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

# A `deployment_quotes` row is seven pieces, each encoded once per distinct value (row_encoder):
# the period's with the currency, the window's start and its end (most subscriptions share both;
# where plans change mid-month, the moments still repeat more than the pairs), the subscription's, the
# price's (a plan's, an addon's or a meter's: a handful), the line's (the quote engine hands out
# one line object per price, proration and usage; where usage seldom repeats, nearly one per
# overage line) and its number.
_CURRENCY_COLUMNS = ("period_start", "currency")
_SUBSCRIPTION_COLUMNS = ("subscription_id", "tenant_id", "deployment_id")
_PRICE_COLUMNS = ("kind", "resource_kind", "meter", "unit_price_cents")
_LINE_COLUMNS = ("description", "quantity", "amount_cents")
QUOTE_COLUMNS = (*_CURRENCY_COLUMNS, "window_start", "window_end", *_SUBSCRIPTION_COLUMNS, *_PRICE_COLUMNS, *_LINE_COLUMNS, "line_no")
_PIECES_KEPT = 50_000  # encoded moments, prices or lines remembered before starting afresh: memory stays flat


def _memo(pieces: dict, value, encode) -> tuple:
    """encode((value,)), remembered by value (up to _PIECES_KEPT of them)."""
    piece = pieces.get(value)
    if piece is None:
        if len(pieces) >= _PIECES_KEPT:
            pieces.clear()
        piece = pieces[value] = encode((value,))
    return piece


class QuoteRows:
    """Quotes as encoded `deployment_quotes` rows (QUOTE_COLUMNS) for `bulk_insert_encoded`."""

    def __init__(self, conn: sa.Connection, period: Period):
        self._period = period
        (self._encode_currency, self._encode_start, self._encode_end, self._encode_subscription, self._encode_price,
         self._encode_line, self._encode_number) = (
            row_encoder(conn, deployment_quotes, columns)
            for columns in (_CURRENCY_COLUMNS, ("window_start",), ("window_end",), _SUBSCRIPTION_COLUMNS,
                            _PRICE_COLUMNS, _LINE_COLUMNS, ("line_no",)))
        self._currencies: dict[str, tuple] = {}
        self._starts: dict[datetime, tuple] = {}
        self._ends: dict[datetime, tuple] = {}
        # by the ids of a line, and of a price with its kind: each object is kept so its id is not reused
        self._lines: dict[int, tuple[QuoteLine, tuple]] = {}
        self._prices: dict[tuple, tuple[Fraction, tuple]] = {}
        self._numbers: list[tuple] = []

    def rows(self, quote: SubscriptionQuote) -> list[tuple]:
        sub = quote.subscription
        head = self._window(quote) + self._encode_subscription((sub.id, sub.tenant_id, sub.deployment_id))
        return [head + self._line(line) + self._number(n) for n, line in enumerate(quote.lines, start=1)]

    def _window(self, quote: SubscriptionQuote) -> tuple:
        currency = self._currencies.get(quote.currency)
        if currency is None:
            currency = self._currencies[quote.currency] = self._encode_currency((self._period.start, quote.currency))
        window = quote.window
        return currency + _memo(self._starts, window.start_at, self._encode_start) + _memo(
            self._ends, window.end_at, self._encode_end)

    def _line(self, line: QuoteLine) -> tuple:
        found = self._lines.get(id(line))
        if found is None:
            if len(self._lines) >= _PIECES_KEPT:
                self._lines.clear()
            found = self._lines[id(line)] = (line, self._price(line) + self._encode_line((
                line.description, to_decimal(line.quantity), line.amount_cents)))
        return found[1]

    def _price(self, line: QuoteLine) -> tuple:
        key = (line.kind, line.resource_kind, line.meter, id(line.unit_price_cents))
        found = self._prices.get(key)
        if found is None:
            if len(self._prices) >= _PIECES_KEPT:
                self._prices.clear()
            found = self._prices[key] = (line.unit_price_cents, self._encode_price((
                line.kind, line.resource_kind, line.meter, to_decimal(line.unit_price_cents, 12))))
        return found[1]

    def _number(self, n: int) -> tuple:
        while len(self._numbers) < n:
            self._numbers.append(self._encode_number((len(self._numbers) + 1,)))
        return self._numbers[n - 1]


@dataclass
class QuotesResult(StageResult):
    """What the quotes stage wrote for its tenants: rows, tenants quoted, amounts per currency."""

    tenants: int = 0
    amount_cents_by_currency: dict[str, int] = field(default_factory=dict)


def write_quotes(engine: sa.Engine, period: Period, shard: Shard = WHOLE_MONTH) -> QuotesResult:
    """Replace the period's quotes for the shard's tenants in one transaction."""
    result = QuotesResult()
    amounts = result.amount_cents_by_currency
    q = deployment_quotes
    with month_end_stage(engine, period_start=period.start, heavy=True, shard=shard) as conn:
        book = load_price_book(conn)
        skip = failed_tenants(conn, period, ("usage",))
        conn.execute(sa.delete(q).where(q.c.period_start == period.start, *shard.tenants.where(q.c.tenant_id)))
        progress = stage_progress(conn, "quotes", period.label, shard.tenants)
        ranges = list(tenant_ranges(conn, QUOTE_BATCH_TENANTS, within=shard.tenants))
        batch = _read_batch(conn, period, ranges[0])
        encoded = QuoteRows(conn, period)
        with WriteBehind(conn, insert=bulk_insert_encoded) as writer:
            for next_range in [*ranges[1:], None]:
                rows = []
                for _, quotes, errors in quote_tenants(batch, period, book, skip):
                    for quote in quotes:
                        rows += encoded.rows(quote)
                        amounts[quote.currency] = amounts.get(quote.currency, 0) + quote.subtotal_cents
                    result.errors += errors
                    result.tenants += bool(quotes)
                    result.subscriptions += len(quotes)
                writer.wait()
                batch = _read_batch(conn, period, next_range) if next_range else None
                writer.write(deployment_quotes, rows, QUOTE_COLUMNS)
                result.rows += len(rows)
                progress.advance(QUOTE_BATCH_TENANTS)
        replace_errors(conn, period, "quotes", result.errors, shard.tenants)
        refresh(conn, q, unless_busy=shard.has_siblings)
        progress.finish()
    return result
