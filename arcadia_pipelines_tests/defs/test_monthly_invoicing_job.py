"""`monthly_invoicing` through Dagster: partitions, metadata, force, failures, schedule."""

from datetime import datetime, timezone

import dagster as dg
import pytest
import sqlalchemy as sa

from arcadia_pipelines.definitions import defs
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

from .runs import run

FORCE = {"ops": {"tenant_invoices": {"config": {"force": True}}}}


def invoice_metadata(result):
    [mat] = result.asset_materializations_for_node("tenant_invoices")
    return {k: v.value for k, v in mat.metadata.items()}


def test_worked_example_through_dagster_then_a_rerun_skips(engine, instance):
    World(engine).worked_example()
    first = run(instance)
    assert first.success
    meta = invoice_metadata(first)
    assert (meta["dagster/row_count"], meta["created"], meta["failed_tenants"]) == (1, 1, "none")
    assert "| 2026-04-01 | pilot | AUD | 64.22 | 6.42 | 70.64 | draft |" in meta["preview"]
    [usage] = first.asset_materializations_for_node("deployment_usage")
    assert usage.metadata["dagster/row_count"].value == 1
    [quotes] = first.asset_materializations_for_node("deployment_quotes")
    assert quotes.metadata["dagster/row_count"].value == 3

    before = rows(engine, t.tenant_invoice_lines)
    second = run(instance)
    assert second.success
    assert (invoice_metadata(second)["created"], invoice_metadata(second)["skipped_existing"]) == (0, 1)
    assert rows(engine, t.tenant_invoice_lines) == before
    partitions = instance.get_materialized_partitions(dg.AssetKey("tenant_invoices"))
    assert partitions == {"2026-04-01"}


def test_force_reports_what_it_left_alone(engine, instance):
    w = World(engine).worked_example("pilot")
    w.example_tenant("paid_up")
    assert run(instance).success
    with engine.begin() as c:
        c.execute(sa.update(t.tenant_invoices).where(t.tenant_invoices.c.tenant_id == "paid_up")
                  .values(status="paid"))
    result = run(instance, run_config=FORCE)
    assert result.success
    meta = invoice_metadata(result)
    assert (meta["recomputed"], meta["left_alone"]) == (1, "paid_up 2026-04 (paid)")


def test_a_bad_tenant_fails_the_run_after_everyone_else_is_invoiced(engine, instance):
    w = World(engine).worked_example("good")
    w.tenant("broken").deployment("db", "broken").subscription("sb", "broken", "db", "studio",
                                                               at(2026, 1, 1), addons=[("nope", 1)])
    result = run(instance)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "tenant_invoices.report_invoices"
    description = failure.step_failure_data.user_failure_data.description
    assert "1 tenant(s) got no invoice" in description
    assert "tenant broken, subscription sb: unknown_addon_version: addon 'nope'" in description
    assert [i["tenant_id"] for i in rows(engine, t.tenant_invoices)] == ["good"]


def test_a_single_run_backfill_invoices_every_month_in_its_range(engine, instance):
    World(engine).worked_example()
    result = run(instance, partition=None, tags={"dagster/asset_partition_range_start": "2026-03-01",
                                                 "dagster/asset_partition_range_end": "2026-04-01"})
    assert result.success
    invoices = {str(i["period_start"]): i["total_cents"] for i in rows(engine, t.tenant_invoices)}
    # March: 3 droplets from Mar 15 00:00 = 3 * 17 days * 24 h = 1224 h < 1488 included
    assert invoices == {"2026-03-01": 5750 + 575, "2026-04-01": 7064}


@pytest.mark.parametrize("tick, partition", [
    (datetime(2026, 5, 1, 3, tzinfo=timezone.utc), "2026-04-01"),
    (datetime(2026, 1, 1, 3, tzinfo=timezone.utc), "2025-12-01"),
])
def test_the_schedule_invoices_the_month_just_ended_at_three_utc(tick, partition):
    schedule = defs.resolve_schedule_def("monthly_invoicing_schedule")
    assert schedule.cron_schedule == "0 3 1 * *"
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == partition


def test_the_asset_graph_shows_monthly_assets_and_their_sources():
    graph = defs.resolve_asset_graph()
    for name in ("deployment_usage", "deployment_quotes", "tenant_invoices"):
        node = graph.get(dg.AssetKey(name))
        assert type(node.partitions_def).__name__ == "MonthlyPartitionsDefinition"
        assert node.owners and node.group_name == "invoicing" and node.description
    assert dg.AssetKey("subscriptions") in graph.get(dg.AssetKey("deployment_usage")).parent_keys
    assert dg.AssetKey("deployment_quotes") in graph.get(dg.AssetKey("tenant_invoices")).parent_keys
