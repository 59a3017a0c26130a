"""A run over a range of months (a single-run backfill) reports each month on its own partition,
exactly as a run of that month alone does, and each month's money is numbers the Plots tab draws."""

from datetime import date, datetime, timezone

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from arcadia_pipelines.billing.credit_notes import LineCredit
from arcadia_pipelines.defs.finance import assets as finance
from arcadia_pipelines.defs.resources import WarehouseResource
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.migrate import upgrade
from arcadia_pipelines_tests.builders import World, at, rows
from arcadia_pipelines_tests.monthend.test_cost_vs_revenue import april_bill, fx

from .runs import run

MONTHS = ["2026-02-01", "2026-03-01", "2026-04-01"]
STAGES = ["deployment_usage", "deployment_quotes", "tenant_invoices"]
NOW = datetime(2026, 5, 20, 9, 0, tzinfo=timezone.utc)


def months_of(engine):
    """Pilot from March (the worked example), early from January, and a tenant invoiced in USD."""
    w = World(engine).worked_example()
    w.tenant("early").deployment("dep-early", "early").subscription("sub-early", "early", "dep-early", "studio",
                                                                     at(2026, 1, 1))
    w.plan("yankee", 2000, currency="USD").tenant("yank", country="US").deployment("dep-yank", "yank")
    w.subscription("sub-yank", "yank", "dep-yank", "yankee", at(2026, 3, 10))
    return w


@pytest.fixture
def twin(warehouse_url, tmp_path, request):
    """A second empty warehouse on the same backend."""
    if warehouse_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'twin.db'}"
    else:
        url = request.getfixturevalue("pg_admin")("twin")
    engine = create_warehouse_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def by_partition(result, node):
    return {m.partition: {k: v.value for k, v in m.metadata.items()}
            for m in result.asset_materializations_for_node(node)}


def run_range(instance):
    return run(instance, partition=None, tags={ASSET_PARTITION_RANGE_START_TAG: MONTHS[0],
                                               ASSET_PARTITION_RANGE_END_TAG: MONTHS[-1]})


def test_a_range_run_reports_each_month_as_a_run_of_that_month_alone(engine, twin, instance, monkeypatch):
    months_of(engine)
    months_of(twin)
    ranged = run_range(instance)
    assert ranged.success
    monkeypatch.setenv("ARCADIA_WAREHOUSE_URL", twin.url.render_as_string(hide_password=False))
    alone = [run(instance, partition=month) for month in MONTHS]
    assert all(r.success for r in alone)
    for stage in STAGES:
        expected = {month: by_partition(r, stage)[month] for month, r in zip(MONTHS, alone)}
        assert by_partition(ranged, stage) == expected, stage
    invoices = by_partition(ranged, "tenant_invoices")
    assert [invoices[m]["dagster/row_count"] for m in MONTHS] == [1, 3, 3]
    assert "| 2026-04-01 | pilot | AUD | 64.22 | 6.42 | 70.64 | draft |" in invoices["2026-04-01"]["preview"]
    assert "2026-04-01" not in invoices["2026-03-01"]["preview"]


def test_each_months_money_is_numbers_that_equal_its_invoices(engine, instance):
    months_of(engine)
    assert run_range(instance).success
    with engine.begin() as c:
        i = t.tenant_invoices
        pilot = c.execute(sa.select(i).where(i.c.tenant_id == "pilot", i.c.period_start == date(2026, 4, 1))).one()
        apply_move(c, pilot.id, "issue", NOW)
        overage = c.scalar(sa.select(t.tenant_invoice_lines.c.id).where(
            t.tenant_invoice_lines.c.invoice_id == pilot.id, t.tenant_invoice_lines.c.kind == "overage"))
        note = create_credit_note(c, pilot.id, "droplet stopped early", [LineCredit(overage, 300)], NOW)
    again = run_range(instance)  # re-run: nothing is rewritten, the months report what they hold now
    assert again.success
    invoices = rows(engine, t.tenant_invoices)
    for month, meta in by_partition(again, "tenant_invoices").items():
        mine = [i for i in invoices if str(i["period_start"]) == month]
        aud = [i for i in mine if i["currency"] == "AUD"]
        assert meta["currency"] == "AUD"
        for key, column in [("invoiced_subtotal", "subtotal_cents"), ("invoiced_tax", "tax_cents"),
                            ("invoiced_total", "total_cents")]:
            assert isinstance(meta[key], float)
            assert round(meta[key] * 100) == sum(i[column] for i in aud), (month, key)
            assert round(meta.get(f"{key} (USD)", 0) * 100) == sum(i[column] for i in mine if i["currency"] == "USD")
        assert (meta["tenants_invoiced"], meta["tenants_refused"]) == (len(mine), 0)
        assert meta["credited"] == (note["total_cents"] / 100 if month == MONTHS[-1] else 0)
    april = by_partition(again, "tenant_invoices")["2026-04-01"]
    assert (april["invoiced_total"], april["invoiced_total (USD)"], april["credited"]) == (125.64, 20.0, 3.3)


def test_cost_vs_revenue_plots_revenue_net_of_corrections_cost_and_margin(engine, instance):
    World(engine).worked_example()
    assert run(instance).success
    april_bill(engine)
    fx(engine, "USD", "AUD", "1.5")
    with engine.begin() as c:
        [pilot] = c.scalars(sa.select(t.tenant_invoices.c.id))
        apply_move(c, pilot, "issue", NOW)
        overage = c.scalar(sa.select(t.tenant_invoice_lines.c.id).where(t.tenant_invoice_lines.c.kind == "overage"))
        create_credit_note(c, pilot, "droplet stopped early", [LineCredit(overage, 300)], NOW)
        create_credit_note(c, pilot, "sorry for the outage", [LineCredit(overage, 100)], NOW, purpose="goodwill")
    result = dg.materialize([finance.cost_vs_revenue], partition_key="2026-04-01", instance=instance,
                            resources={"warehouse": WarehouseResource()})
    meta = by_partition(result, "cost_vs_revenue")["2026-04-01"]
    # revenue 64.22 less the 3.00 correction; cost 89 USD at 1.5; the 1.00 goodwill is shown apart
    assert (meta["currency"], meta["revenue"], meta["cost"], meta["margin"], meta["goodwill_credited"]) == (
        "AUD", 61.22, 133.5, -72.28, 1.0)
    assert all(isinstance(meta[k], float) for k in ("revenue", "cost", "margin"))


def test_a_range_with_a_bad_tenant_fails_naming_it_per_month_after_invoicing_everyone_else(engine, instance):
    months_of(engine).tenant("broken").deployment("dep-broken", "broken").subscription(
        "sub-broken", "broken", "dep-broken", "studio", at(2026, 3, 1), addons=[("nope", 1)])
    result = run_range(instance)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    metadata = {k: v.value for k, v in failure.step_failure_data.user_failure_data.metadata.items()}
    assert metadata["failed_tenants"] == "broken (2026-03), broken (2026-04)"
    assert "| 2026-02 | 1 | none |" in metadata["months"] and "| 2026-04 | 3 | broken |" in metadata["months"]
    assert len(rows(engine, t.tenant_invoices)) == 7  # everyone else, every month
