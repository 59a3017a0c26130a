"""A month that bills nobody succeeds but says so: a WARN check, run metadata and a log warning."""

import logging

import dagster as dg

from arcadia_pipelines_tests.builders import World, at

from .runs import evaluations, run

WARNING = ("2026-04 billed nobody: no invoice and no billing error, no subscription is billed "
           "(is ARCADIA_WAREHOUSE_URL the warehouse you meant?)")


def empty_month_report(instance, result):
    [mat] = result.asset_materializations_for_node("tenant_invoices")
    check = {e.check_name: e for e in evaluations(result)}["month_bills_someone"]
    logged = [e.user_message for e in instance.all_logs(result.run_id)
              if e.level == logging.WARNING and "billed nobody" in e.user_message]
    return mat.metadata, check, logged


def test_an_empty_warehouse_succeeds_with_a_warning_everywhere(engine, instance):
    result = run(instance)
    assert result.success
    metadata, check, logged = empty_month_report(instance, result)
    assert metadata["dagster/row_count"].value == 0
    assert metadata["empty_month"].value is True and metadata["warning"].value == WARNING
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["examples"].value == "- 2026-04: billed nobody: no invoice and no billing error"
    assert logged == [WARNING]


def test_a_month_before_any_subscription_is_empty_and_the_next_is_not(engine, instance):
    World(engine).worked_example()          # the subscription starts on 2026-03-01
    february = run(instance, partition="2026-02-01")
    assert february.success
    metadata, check, _ = empty_month_report(instance, february)
    assert metadata["empty_month"].value is True and metadata["warning"].value.startswith("2026-02 billed nobody")
    assert not check.passed

    april = run(instance)
    metadata, check, logged = empty_month_report(instance, april)
    assert metadata["dagster/row_count"].value == 1
    assert metadata["empty_month"].value is False and "warning" not in metadata
    assert check.passed and logged == []


def test_a_month_whose_only_tenant_has_bad_input_is_a_failure_not_an_empty_month(engine, instance):
    w = World(engine).worked_example("unused")
    with engine.begin() as c:
        c.exec_driver_sql("DELETE FROM subscription_addons")
        c.exec_driver_sql("DELETE FROM subscriptions")
    w.subscription("sb", "unused", "dep-unused", "studio", at(2026, 1, 1), addons=[("nope", 1)])
    result = run(instance)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    metadata = failure.step_failure_data.user_failure_data.metadata
    assert (metadata["dagster/row_count"].value, metadata["empty_month"].value) == (0, False)
    assert "warning" not in metadata
