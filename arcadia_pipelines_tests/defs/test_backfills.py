"""Finance backfills months the way the UI does: an asset backfill run by the daemon's logic,
on a Dagster instance whose storage is PostgreSQL. The monthly assets take a range of months in
one run (`BackfillPolicy.single_run()`)."""

import logging
import time
import uuid

import dagster as dg
import pytest
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.load_target import ModuleTarget
from dagster._daemon.backfill import execute_backfill_iteration

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines_tests.builders import World, rows

MONTHS = ["2026-02-01", "2026-03-01", "2026-04-01"]
INVOICING = [dg.AssetKey(k) for k in ("deployment_usage", "deployment_quotes", "tenant_invoices")]


@pytest.fixture
def pg_instance(pg_admin, empty_pg_url, monkeypatch):
    monkeypatch.setenv("ARCADIA_WAREHOUSE_URL", empty_pg_url)
    overrides = {
        # the production dagster.yaml's storage, with the same plain postgresql:// URL
        "storage": {"custom": {"module": "arcadia_pipelines.instance_storage", "class": "PostgresStorage",
                               "config": {"postgres_url": pg_admin("instance")}}},
        # runs launch as the backfill submits them and execute synchronously, so the test sees
        # them finish; production queues them (dagster.yaml) and launches them in processes
        "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "DefaultRunCoordinator"},
        "run_launcher": {"module": "dagster._core.launcher.sync_in_memory_run_launcher",
                         "class": "SyncInMemoryRunLauncher"},
    }
    with dg.instance_for_test(overrides=overrides) as instance:
        yield instance


def failures(instance):
    return [(r.tags.get("dagster/partition"), e.message) for r in instance.get_runs()
            for e in instance.all_logs(r.run_id) if e.is_dagster_event and e.dagster_event.is_failure]


def backfill(instance, workspace):
    backfill_id = uuid.uuid4().hex[:8]
    asset_graph = workspace.create_request_context().asset_graph
    instance.add_backfill(PartitionBackfill.from_asset_partitions(
        backfill_id=backfill_id, asset_graph=asset_graph, partition_names=MONTHS, asset_selection=INVOICING,
        backfill_timestamp=time.time(), tags={}, dynamic_partitions_store=instance, all_partitions=False,
        title="finance backfill", description=None, run_config=None))
    deadline = time.time() + 120
    while instance.get_backfill(backfill_id).status == BulkActionStatus.REQUESTED:
        assert time.time() < deadline, "backfill did not finish"
        errors = [e for e in execute_backfill_iteration(workspace, logging.getLogger("backfill")) if e]
        assert errors == []
    return instance.get_backfill(backfill_id)


def test_a_three_month_backfill_is_one_run_and_a_second_changes_nothing(empty_pg_url, pg_instance):
    engine = create_warehouse_engine(empty_pg_url)
    World(engine).worked_example()
    target = ModuleTarget(module_name="arcadia_pipelines.definitions", attribute=None, working_directory=None,
                          location_name="arcadia_pipelines")
    with create_test_daemon_workspace_context(target, pg_instance) as workspace:
        first = backfill(pg_instance, workspace)
        assert first.status == BulkActionStatus.COMPLETED_SUCCESS, failures(pg_instance)
        invoices = rows(engine, t.tenant_invoices, order_by="period_start")
        # Feb: 28 days, Mar: 3 droplets from the 15th (1224 h < 1488), Apr: the worked example
        assert [(str(i["period_start"]), i["total_cents"]) for i in invoices] == [
            ("2026-03-01", 6325), ("2026-04-01", 7064)]
        before = (invoices, rows(engine, t.tenant_invoice_lines))

        second = backfill(pg_instance, workspace)
        assert second.status == BulkActionStatus.COMPLETED_SUCCESS, failures(pg_instance)
        assert (rows(engine, t.tenant_invoices, order_by="period_start"), rows(engine, t.tenant_invoice_lines)) \
            == before
    runs = pg_instance.get_runs()
    assert len(runs) == 2 and {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
    assert {(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in runs} == {(MONTHS[0], MONTHS[-1])}
    assert pg_instance.get_materialized_partitions(dg.AssetKey("tenant_invoices")) == set(MONTHS)
    # each month's materialization carries that month's own figures, not the range's
    records = pg_instance.fetch_materializations(dg.AssetKey("tenant_invoices"), limit=10).records
    assert len(records) == 6 and {
        (r.asset_materialization.partition, r.asset_materialization.metadata["dagster/row_count"].value,
         r.asset_materialization.metadata["invoiced_total"].value) for r in records} == {
        ("2026-02-01", 0, 0.0), ("2026-03-01", 1, 63.25), ("2026-04-01", 1, 70.64)}
