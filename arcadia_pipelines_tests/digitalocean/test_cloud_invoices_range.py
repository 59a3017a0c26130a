"""`cloud_invoices` over a range of months (a single-run backfill): each month's materialization
carries that month's bill alone, as a run of that month does, with its cost as a number to plot."""

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from arcadia_pipelines.definitions import defs
from arcadia_pipelines.devtools.do_builders import invoice_item
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

from .runs import run_cloud_invoices

MONTHS = ["2026-02-01", "2026-03-01", "2026-04-01"]


def run_range(instance) -> dg.ExecuteInProcessResult:
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[dg.AssetKey("cloud_invoices")], instance=instance, raise_on_error=False,
        tags={ASSET_PARTITION_RANGE_START_TAG: MONTHS[0], ASSET_PARTITION_RANGE_END_TAG: MONTHS[-1]})


def by_month(result) -> dict[str, dict]:
    return {m.partition: {k: v.value for k, v in m.metadata.items()}
            for m in result.asset_materializations_for_node("cloud_invoices")}


def bills(engine, do_server):
    """February one droplet item; March a droplet and an untagged load balancer; April two pages of items."""
    World(engine).tenant("acme").deployment("dep-acme", "acme").resource("dep-acme", "101", at(2026, 1, 1))
    return {
        "2026-02-01": do_server.add_invoice("2026-02", [invoice_item("24.00", resource_id="101")]),
        "2026-03-01": do_server.add_invoice("2026-03", [invoice_item("24.00", resource_id="101"),
                                                        invoice_item("12.34", product="Load Balancers")]),
        "2026-04-01": do_server.add_invoice("2026-04", [
            invoice_item("24.00", resource_id="101"),
            *(invoice_item(f"0.{n % 100:02d}", product="Bandwidth") for n in range(230))]),
    }


def test_a_range_reports_each_months_bill_as_a_run_of_that_month_alone(engine, do_server, instance):
    issued = bills(engine, do_server)
    ranged = run_range(instance)
    assert ranged.success
    months = by_month(ranged)
    assert sorted(months) == MONTHS
    for month in MONTHS:   # a re-run of one month writes the same rows and reports the same
        alone = run_cloud_invoices(instance, partition=month)
        assert alone.success
        assert by_month(alone) == {month: months[month]}, month

    april_cents = 2400 + sum(n % 100 for n in range(230))
    stored = {str(b["period_start"]): b["amount_cents"] for b in rows(engine, t.cloud_invoices)}
    assert stored == {"2026-02-01": 2400, "2026-03-01": 3634, "2026-04-01": april_cents}
    for month, meta in months.items():
        assert meta["invoices"] == issued[month]["invoice_uuid"]
        assert (meta["currency"], meta["amount_cents"]) == ("USD", stored[month])
        assert isinstance(meta["cost"], float) and round(meta["cost"] * 100) == stored[month]
    assert [months[m]["dagster/row_count"] for m in MONTHS] == [1, 2, 231]
    assert [months[m]["unmapped_items"] for m in MONTHS] == [0, 1, 230]
    assert (months["2026-03-01"]["total"], months["2026-03-01"]["unmapped_cost"]) == ("USD 36.34", 12.34)
    assert months["2026-04-01"]["cost"] == april_cents / 100
