"""Each invoicing asset check passes on a good month and fails on a hand-broken one."""

import dagster as dg
import pytest
import sqlalchemy as sa

from arcadia_pipelines.definitions import defs as code_location
from arcadia_pipelines.defs.invoicing import assets, checks
from arcadia_pipelines.defs.resources import WarehouseResource
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World

from .runs import evaluations, run

ALL_CHECKS = [checks.usage_checks, checks.quote_checks, checks.invoice_checks, checks.invoices_match_current_data]


def key(asset: str, name: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(asset), name)


INVOICE_LINES_ADD_UP = key("tenant_invoices", "invoice_lines_add_up")
ONE_INVOICE_PER_TENANT = key("tenant_invoices", "one_invoice_per_tenant")


def run_check(instance, check: dg.AssetCheckKey):
    """Execute one check alone for April, as "Execute checks" in the UI does."""
    job = dg.define_asset_job("check_only", selection=dg.AssetSelection.checks(check))
    defs = dg.Definitions(assets=[assets.deployment_usage, assets.deployment_quotes, assets.tenant_invoices],
                          asset_checks=ALL_CHECKS, jobs=[job], resources={"warehouse": WarehouseResource()})
    # A checks-only selection has no asset to take the partitions from; tag the run directly.
    result = defs.resolve_job_def("check_only").execute_in_process(
        tags={"dagster/partition": "2026-04-01"}, instance=instance, raise_on_error=False)
    [evaluation] = evaluations(result)
    return evaluation


def _bump_line(c):
    c.execute(sa.update(t.tenant_invoice_lines).where(t.tenant_invoice_lines.c.kind == "addon")
              .values(amount_cents=751))


def _wrong_tax(c):
    c.execute(sa.update(t.tenant_invoices).values(tax_cents=643, total_cents=7065))
    c.execute(sa.update(t.tenant_invoice_lines).where(t.tenant_invoice_lines.c.kind == "tax")
              .values(amount_cents=643))


def _drop_quotes(c):
    c.execute(sa.delete(t.deployment_quotes))


def _negative_usage(c):
    c.execute(sa.update(t.deployment_usage).values(quantity=-5))


def _second_invoice(c):
    if c.dialect.name == "sqlite":
        pytest.skip("the unique constraint cannot be dropped on SQLite")
    c.exec_driver_sql("ALTER TABLE tenant_invoices DROP CONSTRAINT uq_tenant_invoices_tenant_id_period_start")
    c.exec_driver_sql("INSERT INTO tenant_invoices (tenant_id, period_start, period_end, currency, subtotal_cents,"
                      " tax_cents, total_cents, status, created_at, updated_at) SELECT tenant_id, period_start,"
                      " period_end, currency, 0, 0, 0, 'void', created_at, updated_at FROM tenant_invoices")


@pytest.mark.parametrize("check, breaks, says", [
    (INVOICE_LINES_ADD_UP, _bump_line, "lines 6423 + tax 642, invoice 6422 + 642 = 7064"),
    (key("tenant_invoices", "tax_follows_the_rule"), _wrong_tax, "tenant pilot charged 643, rule gives 642"),
    (key("deployment_quotes", "every_billed_subscription_is_quoted"), _drop_quotes,
     "subscription sub-pilot of pilot has no quote"),
    (key("deployment_usage", "usage_is_not_negative"), _negative_usage,
     "droplet_hours of subscription sub-pilot (pilot) is -5"),
    (ONE_INVOICE_PER_TENANT, _second_invoice, "tenant pilot has 2 invoices"),
])
def test_check_passes_on_the_good_month_and_fails_on_a_broken_one(engine, instance, check, breaks, says):
    World(engine).worked_example()
    good = run(instance)
    assert good.success
    in_the_month_end = [c for c in ALL_CHECKS if c is not checks.invoices_match_current_data]  # drift: its own job
    assert {e.check_name: e.passed for e in evaluations(good)} == {
        k.name: True for c in in_the_month_end for k in c.check_keys}

    with engine.begin() as c:
        breaks(c)
    bad = run_check(instance, check)
    assert not bad.passed and bad.check_name == check.name
    assert says in bad.metadata["examples"].value
    if check == ONE_INVOICE_PER_TENANT:  # put the session database's constraint back
        with engine.begin() as c:
            c.exec_driver_sql("DELETE FROM tenant_invoices WHERE status = 'void'")
            c.exec_driver_sql("ALTER TABLE tenant_invoices ADD CONSTRAINT "
                              "uq_tenant_invoices_tenant_id_period_start UNIQUE (tenant_id, period_start)")


def test_a_failing_blocking_check_is_an_error_for_the_run(engine, instance):
    World(engine).worked_example()
    assert run(instance).success
    with engine.begin() as c:
        _bump_line(c)
    evaluation = run_check(instance, INVOICE_LINES_ADD_UP)
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR and evaluation.blocking


def test_the_month_end_runs_the_checks_of_each_asset_in_one_step():
    """Every step adds Dagster's bookkeeping (events, a connection) to every month-end run."""
    job = code_location.resolve_job_def("monthly_invoicing")
    assert {node.name for node in job.graph.nodes if node.name.endswith("_checks")} == {
        "deployment_usage_checks", "deployment_quotes_checks", "tenant_invoices_checks"}
    assert {key.name for key in job.asset_layer.asset_graph.asset_check_keys} == {
        key.name for c in ALL_CHECKS if c is not checks.invoices_match_current_data for key in c.check_keys}
