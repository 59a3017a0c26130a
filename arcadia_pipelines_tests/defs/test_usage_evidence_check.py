"""`usage_matches_its_evidence`: a blocking check on deployment_usage, through real Dagster runs."""

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.definitions import defs
from arcadia_pipelines.defs.invoicing import assets, checks
from arcadia_pipelines.defs.resources import WarehouseResource
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, rows

from .runs import evaluations, run

CHECK = dg.AssetCheckKey(dg.AssetKey("deployment_usage"), "usage_matches_its_evidence")


def check_alone(instance):
    """The check on its own for April, as "Execute" on the check in the UI does."""
    job = dg.define_asset_job("check_only", selection=dg.AssetSelection.checks(CHECK))
    alone = dg.Definitions(assets=[assets.deployment_usage], asset_checks=[checks.usage_checks],
                           jobs=[job], resources={"warehouse": WarehouseResource()})
    result = alone.resolve_job_def("check_only").execute_in_process(
        tags={"dagster/partition": "2026-04-01"}, instance=instance, raise_on_error=False)
    [evaluation] = evaluations(result)
    return evaluation


def evaluation_of(result):
    return next(e for e in evaluations(result) if e.check_name == CHECK.name)


def test_it_passes_on_the_worked_example_and_names_tampered_evidence(engine, instance):
    World(engine).worked_example()
    good = run(instance)
    assert good.success
    passed = evaluation_of(good)
    assert passed.passed and passed.severity == dg.AssetCheckSeverity.ERROR
    assert passed.metadata["months"].value == "2026-04"
    [usage] = good.asset_materializations_for_node("deployment_usage")
    assert usage.metadata["evidence_rows"].value == 3
    spec = defs.get_assets_def("deployment_usage").specs_by_key[dg.AssetKey("deployment_usage")]
    assert "usage_evidence column schema" in spec.metadata

    with engine.begin() as c:
        c.execute(sa.update(t.usage_evidence).where(t.usage_evidence.c.resource_id == "pilot-droplet-1")
                  .values(quantity=721))
    failed = check_alone(instance)
    assert not failed.passed
    assert failed.metadata["violations"].value == 1
    assert ("droplet_hours of subscription sub-pilot (pilot): usage 2160, its 3 evidence row(s) sum to 2161"
            in failed.metadata["examples"].value)


def _tamper_after_usage_is_written(c):
    """A trigger that changes one evidence row once the usage has been summed from it, inside the
    usage stage's own transaction: what a bug between the two statements would do."""
    if c.dialect.name == "sqlite":
        c.exec_driver_sql("CREATE TRIGGER tamper AFTER INSERT ON deployment_usage BEGIN UPDATE usage_evidence "
                          "SET quantity = CAST(quantity AS INTEGER) - 1 WHERE resource_id = 'pilot-droplet-0'; END")
    else:
        c.exec_driver_sql("CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE "
                          "usage_evidence SET quantity = quantity - 1 WHERE resource_id = 'pilot-droplet-0'; "
                          "RETURN NULL; END $$")
        c.exec_driver_sql("CREATE TRIGGER tamper AFTER INSERT ON deployment_usage FOR EACH STATEMENT "
                          "EXECUTE FUNCTION tamper()")


def test_a_failure_blocks_quotes_and_invoices_in_the_same_run(engine, instance):
    World(engine).worked_example()
    with engine.begin() as c:
        _tamper_after_usage_is_written(c)
    try:
        result = run(instance)
    finally:
        with engine.begin() as c:
            c.exec_driver_sql("DROP TRIGGER tamper" + ("" if c.dialect.name == "sqlite" else " ON deployment_usage"))
            if c.dialect.name == "postgresql":
                c.exec_driver_sql("DROP FUNCTION tamper()")
    assert not result.success
    failed = evaluation_of(result)
    assert not failed.passed and "sum to 2159" in failed.metadata["examples"].value
    assert result.asset_materializations_for_node("deployment_usage")
    assert not result.asset_materializations_for_node("deployment_quotes")
    assert not result.asset_materializations_for_node("tenant_invoices")
    assert rows(engine, t.tenant_invoices) == []
