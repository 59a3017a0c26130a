"""cost_vs_revenue for the worked example against a USD DigitalOcean bill, computed by hand."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from arcadia_pipelines.monthend.cost_vs_revenue import write_cost_vs_revenue
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, rows

from .rollup import APRIL, rollup

ROW_COLS = ("tenant_id", "deployment_id", "resource_kind", "revenue_cents", "revenue_currency", "cost_cents",
            "cost_currency", "cost_in_revenue_currency_cents", "margin_cents")


def april_bill(engine):
    """Three droplets at $24.00 and a $5.00 volume on the pilot, a $12.00 load balancer on nobody."""
    items = [("droplet", "dep-pilot", 2400)] * 3 + [("volume", "dep-pilot", 500), ("load_balancer", None, 1200)]
    with engine.begin() as c:
        c.execute(sa.insert(t.cloud_invoices), {"invoice_uuid": "inv-apr", "period_start": date(2026, 4, 1),
                                                "amount_cents": 8900, "currency": "USD"})
        c.execute(sa.insert(t.cloud_invoice_items), [
            {"invoice_uuid": "inv-apr", "line_no": n, "product": kind.title(), "resource_kind": kind,
             "resource_id": f"r{n}", "amount_cents": cents, "deployment_id": dep}
            for n, (kind, dep, cents) in enumerate(items, start=1)])


def fx(engine, base, quote, rate):
    with engine.begin() as c:
        c.execute(sa.insert(t.fx_rates), {"period_start": date(2026, 4, 1), "base_currency": base,
                                          "quote_currency": quote, "rate": Decimal(rate)})


def table(engine):
    return sorted((tuple(r[c] for c in ROW_COLS) for r in rows(engine, t.cost_vs_revenue)),
                  key=lambda r: tuple("" if v is None else str(v) for v in r))


def test_worked_example_with_a_usd_bill_and_a_usd_to_aud_rate(engine):
    World(engine).worked_example()
    rollup(engine)
    april_bill(engine)
    fx(engine, "USD", "AUD", "1.5")
    result = write_cost_vs_revenue(engine, APRIL, "AUD")
    assert result.missing_rates == set()
    assert table(engine) == sorted([
        # 3 x 2400 USD = 7200 -> 10800 AUD against 672 AUD of overage
        ("pilot", "dep-pilot", "droplet", 672, "AUD", 7200, "USD", 10800, -10128),
        ("pilot", "dep-pilot", "plan", 5000, "AUD", 0, None, 0, 5000),
        ("pilot", "dep-pilot", "volume", 750, "AUD", 500, "USD", 750, 0),
        (None, None, "load_balancer", 0, "AUD", 1200, "USD", 1800, -1800),
    ], key=lambda r: tuple("" if v is None else str(v) for v in r))
    assert sum(r["revenue_cents"] for r in rows(engine, t.cost_vs_revenue)) == 6422  # tax excluded


def test_an_inverse_rate_converts_and_a_missing_rate_leaves_null_margins(engine):
    World(engine).worked_example()
    rollup(engine)
    april_bill(engine)
    missing = write_cost_vs_revenue(engine, APRIL, "AUD")
    assert missing.missing_rates == {("USD", "AUD")}
    by_kind = {r["resource_kind"]: r for r in rows(engine, t.cost_vs_revenue)}
    assert by_kind["droplet"]["cost_in_revenue_currency_cents"] is None and by_kind["droplet"]["margin_cents"] is None
    assert by_kind["plan"]["margin_cents"] == 5000  # no cost on that row: nothing to convert

    fx(engine, "AUD", "USD", "0.64")   # 1 USD = 1.5625 AUD
    assert write_cost_vs_revenue(engine, APRIL, "AUD").missing_rates == set()
    by_kind = {r["resource_kind"]: r for r in rows(engine, t.cost_vs_revenue)}
    assert by_kind["droplet"]["cost_in_revenue_currency_cents"] == 11250
    assert by_kind["load_balancer"]["cost_in_revenue_currency_cents"] == 1875
    assert len(rows(engine, t.cost_vs_revenue)) == 4   # rerun replaced the month, no duplicates


def test_void_invoices_are_not_revenue(engine):
    World(engine).worked_example()
    rollup(engine)
    with engine.begin() as c:
        c.execute(sa.update(t.tenant_invoices).values(status="void"))
    write_cost_vs_revenue(engine, APRIL, "AUD")
    assert rows(engine, t.cost_vs_revenue) == []


def bad_fx(engine, base, quote, rate_sql):
    """A stored rate written as SQL, so SQLite keeps text where a number belongs."""
    with engine.begin() as c:
        c.exec_driver_sql(f"INSERT INTO fx_rates (period_start, base_currency, quote_currency, rate) "
                          f"VALUES ('2026-04-01', '{base}', '{quote}', {rate_sql})")


BAD_RATES = [  # (stored as, backends, why)
    ("'abc'", ("sqlite",), "rate 'abc' is not a positive number"),
    ("0", ("sqlite", "postgresql"), "rate 0 is not a positive number"),
    ("-1.5", ("sqlite", "postgresql"), "rate -1.5 is not a positive number"),
    ("'NaN'", ("postgresql",), "rate NaN is not a positive number"),
    ("100000000", ("sqlite", "postgresql"), "rate 100000000 is outside 1/10000000 to 10000000 (billing/bounds.py)"),
]


@pytest.mark.parametrize("rate, backends, why", BAD_RATES, ids=[r[0].strip("'") for r in BAD_RATES])
def test_a_bad_rate_is_a_missing_rate_named_with_why(engine, rate, backends, why):
    if engine.dialect.name not in backends:
        pytest.skip(f"{rate} cannot be stored on {engine.dialect.name}")
    World(engine).worked_example()
    rollup(engine)
    april_bill(engine)
    bad_fx(engine, "USD", "AUD", rate)

    result = write_cost_vs_revenue(engine, APRIL, "AUD")

    assert result.missing_rates == {("USD", "AUD")}
    assert result.unusable_rates == {("USD", "AUD"): why}
    by_kind = {r["resource_kind"]: r for r in rows(engine, t.cost_vs_revenue)}
    assert by_kind["droplet"]["cost_in_revenue_currency_cents"] is None and by_kind["droplet"]["margin_cents"] is None
    assert by_kind["load_balancer"]["cost_in_revenue_currency_cents"] is None
    assert by_kind["plan"]["margin_cents"] == 5000
    assert by_kind["droplet"]["revenue_cents"] == 672  # revenue is still reported


def test_a_bad_rate_gives_way_to_a_good_inverse(engine):
    World(engine).worked_example()
    rollup(engine)
    april_bill(engine)
    bad_fx(engine, "USD", "AUD", "0")
    fx(engine, "AUD", "USD", "0.64")

    result = write_cost_vs_revenue(engine, APRIL, "AUD")

    assert result.missing_rates == set()
    assert {r["resource_kind"]: r["cost_in_revenue_currency_cents"]
            for r in rows(engine, t.cost_vs_revenue)}["droplet"] == 11250
