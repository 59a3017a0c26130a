"""Quotes written as encoded rows (QuoteRows, bulk_insert_encoded) store exactly what a plain
bulk insert of the same values stores, on both backends."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction as F

import sqlalchemy as sa

from arcadia_pipelines.billing.money import to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.quote import QuoteLine, SubscriptionQuote, SubscriptionTerms
from arcadia_pipelines.monthend.quotes import QUOTE_COLUMNS, QuoteRows
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.sqlfuncs import bulk_insert, bulk_insert_encoded
from arcadia_pipelines_tests.builders import rows

APRIL, MARCH = Period.parse("2026-04"), Period.parse("2026-03")
SYDNEY = timezone(timedelta(hours=10))
LINES = (QuoteLine("plan_base", "plan", None, "Plan: Studio (16/30 of the month)", F(16, 30), F(5000), 2667),
         QuoteLine("addon", "volume", None, "Addon: tab\there, new\nline, back\\slash \\N ✓", F(3), F(750), 2250),
         QuoteLine("overage", "droplet", "droplet_hours", "Overage: droplet_hours", F(1, 3), F(1, 8), 0))


def quotes(period: Period) -> list[SubscriptionQuote]:
    start = datetime.combine(period.start, datetime.min.time(), SYDNEY) + timedelta(days=1, microseconds=7)
    end = datetime.combine(period.start, datetime.min.time(), timezone.utc) + timedelta(days=20)
    return [SubscriptionQuote(SubscriptionTerms(f"s{n}", f"t{n % 2}", f"d{n}", "studio", "active", start, None),
                              "AUD", period.window(start, None if n else end), LINES[n:] + LINES[:n],
                              sum(line.amount_cents for line in LINES))
            for n in range(3)]


def plain_rows(period: Period, quote: SubscriptionQuote) -> list[tuple]:
    """The rows as values, as write_quotes built them before rows were encoded."""
    sub, w = quote.subscription, quote.window
    return [(period.start, quote.currency, w.start_at, w.end_at, sub.id, sub.tenant_id, sub.deployment_id, line.kind,
             line.resource_kind, line.meter, to_decimal(line.unit_price_cents, 12), line.description,
             to_decimal(line.quantity), line.amount_cents, n)
            for n, line in enumerate(quote.lines, start=1)]


def test_encoded_quote_rows_store_what_plain_rows_store(engine):
    with engine.begin() as c:
        encoded = QuoteRows(c, APRIL)
        bulk_insert_encoded(c, t.deployment_quotes, [r for q in quotes(APRIL) for r in encoded.rows(q)], QUOTE_COLUMNS)
        bulk_insert(c, t.deployment_quotes, [r for q in quotes(MARCH) for r in plain_rows(MARCH, q)], QUOTE_COLUMNS)

    def stored(period):
        return [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()
                 if k not in ("period_start", "window_start", "window_end")}
                for r in rows(engine, t.deployment_quotes, order_by="subscription_id line_no", period_start=period.start)]

    assert len(stored(APRIL)) == 9
    assert stored(APRIL) == stored(MARCH)
    windows = [(r["window_start"], r["window_end"]) for r in rows(engine, t.deployment_quotes, order_by="subscription_id line_no",
                                                                  period_start=APRIL.start)]
    start = datetime(2026, 4, 1, 14, 0, 0, 7, tzinfo=timezone.utc)  # the 2nd, Sydney time
    assert windows == [(start, datetime(2026, 4, 21, tzinfo=timezone.utc))] * 3 + \
        [(start, datetime(2026, 5, 1, tzinfo=timezone.utc))] * 6


def test_nothing_to_write_is_no_statement(engine):
    with engine.begin() as c:
        bulk_insert_encoded(c, t.deployment_quotes, [], QUOTE_COLUMNS)
    with engine.connect() as c:
        assert c.scalar(sa.select(sa.func.count()).select_from(t.deployment_quotes)) == 0
