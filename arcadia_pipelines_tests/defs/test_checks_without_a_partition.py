"""The UI's "Execute all" on asset checks launches a run of checks only, with no partition: each
monthly check then checks every month materialized so far and names them."""

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.definitions import defs
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World
from arcadia_pipelines_tests.monthend.test_cost_vs_revenue import april_bill, fx

from .runs import evaluations, run

MONTHLY_CHECKS = {"invoice_lines_add_up", "one_invoice_per_tenant", "tax_follows_the_rule", "month_bills_someone",
                  "every_billed_subscription_is_quoted", "usage_is_not_negative", "fx_rates_cover_costs",
                  "unattributed_cost_share", "usage_matches_its_evidence", "invoices_match_current_data",
                  "ar_export_matches_warehouse"}


def execute_all_checks(instance):
    """What "Execute all" launches: the code location's asset job, every check, no asset, no partition."""
    graph = defs.resolve_asset_graph()
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(), asset_check_selection=set(graph.asset_check_keys))
    return job.execute_in_process(instance=instance, raise_on_error=False)


def cost_vs_revenue_for_april(instance):
    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection={dg.AssetKey("cost_vs_revenue")})
    assert job.execute_in_process(partition_key="2026-04-01", instance=instance).success


def test_execute_all_checks_the_materialized_months_and_names_them(engine, instance):
    World(engine).worked_example()
    assert run(instance, partition=None, tags={"dagster/asset_partition_range_start": "2026-03-01",
                                               "dagster/asset_partition_range_end": "2026-04-01"}).success
    april_bill(engine)
    fx(engine, "USD", "AUD", "1.5")
    cost_vs_revenue_for_april(instance)

    result = execute_all_checks(instance)
    assert result.success
    assert not [e for e in result.all_events if e.is_step_failure]
    by_name = {e.check_name: e for e in evaluations(result)}
    assert MONTHLY_CHECKS <= set(by_name)
    for name in MONTHLY_CHECKS - {"unattributed_cost_share"}:   # 13.5% of April's cost is on no deployment
        assert by_name[name].passed, name
    months = {name: by_name[name].metadata["months"].value for name in MONTHLY_CHECKS}
    assert months == {**{name: "2026-03, 2026-04" for name in MONTHLY_CHECKS},
                      "fx_rates_cover_costs": "2026-04", "unattributed_cost_share": "2026-04",
                      "ar_export_matches_warehouse": "none"}  # not exported yet


def test_execute_all_finds_a_broken_month_among_them(engine, instance):
    World(engine).worked_example()
    assert run(instance, partition="2026-03-01").success
    assert run(instance, partition="2026-04-01").success
    with engine.begin() as c:
        c.execute(sa.update(t.tenant_invoice_lines).where(t.tenant_invoice_lines.c.kind == "addon",
                                                          t.tenant_invoice_lines.c.invoice_id == 2)
                  .values(amount_cents=751))
    result = execute_all_checks(instance)
    adds_up = {e.check_name: e for e in evaluations(result)}["invoice_lines_add_up"]
    assert not adds_up.passed
    assert adds_up.metadata["months"].value == "2026-03, 2026-04"
    assert adds_up.metadata["examples"].value == (
        "- 2026-04: invoice 2 (pilot): lines 6423 + tax 642, invoice 6422 + 642 = 7064")


def test_execute_all_on_a_new_instance_checks_nothing_and_passes(engine, instance):
    result = execute_all_checks(instance)
    assert result.success
    by_name = {e.check_name: e for e in evaluations(result)}
    assert {by_name[name].metadata["months"].value for name in MONTHLY_CHECKS} == {"none"}
    assert all(by_name[name].passed for name in MONTHLY_CHECKS)
