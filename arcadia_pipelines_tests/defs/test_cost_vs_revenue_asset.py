"""cost_vs_revenue through Dagster, with its two checks."""

import dagster as dg

from arcadia_pipelines.defs.finance import assets, checks
from arcadia_pipelines.defs.resources import WarehouseResource
from arcadia_pipelines_tests.builders import World
from arcadia_pipelines_tests.monthend.rollup import rollup
from arcadia_pipelines_tests.monthend.test_cost_vs_revenue import april_bill, bad_fx, fx

from .runs import evaluations


def materialize(instance):
    return dg.materialize([assets.cost_vs_revenue, checks.fx_rates_cover_costs, checks.unattributed_cost_share],
                          partition_key="2026-04-01", instance=instance,
                          resources={"warehouse": WarehouseResource()}, raise_on_error=False)


def test_checks_name_the_missing_pair_then_pass_once_the_rate_exists(engine, instance):
    World(engine).worked_example()
    rollup(engine)
    april_bill(engine)
    first = materialize(instance)
    assert first.success
    by_name = {e.check_name: e for e in evaluations(first)}
    assert not by_name["fx_rates_cover_costs"].passed
    assert by_name["fx_rates_cover_costs"].metadata["missing_pairs"].value == "USD->AUD (2026-04)"
    # 1200 of 8900 USD cents is on no deployment: 13.5% > 10%
    assert not by_name["unattributed_cost_share"].passed
    assert by_name["unattributed_cost_share"].severity == dg.AssetCheckSeverity.WARN
    assert by_name["unattributed_cost_share"].metadata["unattributed_share"].value == 0.1348

    fx(engine, "USD", "AUD", "1.5")
    second = materialize(instance)
    assert {e.check_name: e.passed for e in evaluations(second)}["fx_rates_cover_costs"]
    [mat] = second.asset_materializations_for_node("cost_vs_revenue")
    assert mat.metadata["dagster/row_count"].value == 4
    assert "| AUD | 64.22 | 133.50 | -69.28 |" in mat.metadata["totals"].value


def test_a_bad_rate_leaves_margins_null_and_the_check_names_why(engine, instance):
    World(engine).worked_example()
    rollup(engine)
    april_bill(engine)
    rate, why = ("'abc'", "rate 'abc' is not a positive number") if engine.dialect.name == "sqlite" else (
        "0", "rate 0 is not a positive number")  # PostgreSQL's NUMERIC holds no text
    bad_fx(engine, "USD", "AUD", rate)

    result = materialize(instance)

    assert result.success
    check = {e.check_name: e for e in evaluations(result)}["fx_rates_cover_costs"]
    assert not check.passed
    assert check.metadata["missing_pairs"].value == f"USD->AUD (2026-04): {why}"
    assert check.metadata["rows_without_conversion"].value == 3
