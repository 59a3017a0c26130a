"""monthly_invoicing with tenant shards: run config `shards` gives each stage that many steps,
the month's invoices and checks are those of a run in one shard, and `rollup --shards 2` runs
the shard steps in parallel processes under Dagster's multiprocess executor."""

import os
import subprocess
import sys

import dagster as dg
import pytest

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, rows

from .runs import evaluations, run

EXE = os.path.join(os.path.dirname(sys.executable), "arcadia-pipelines")
STAGES = ("deployment_usage", "deployment_quotes", "tenant_invoices")


def _tenants(engine, n=7):
    w = World(engine).worked_example("t0")
    for k in range(1, n):
        w.example_tenant(f"t{k}", country="NZ" if k == 2 else "AU")


def _invoices(engine):
    return sorted((i["tenant_id"], i["subtotal_cents"], i["tax_cents"], i["total_cents"])
                  for i in rows(engine, t.tenant_invoices))


def test_shards_from_run_config_give_the_invoices_and_checks_of_one_shard(engine, instance):
    _tenants(engine)
    config = {"ops": {stage: {"config": {"shards": 3}} for stage in STAGES}}
    result = run(instance, run_config=config)
    assert result.success
    for stage in STAGES:
        [mat] = result.asset_materializations_for_node(stage)
        assert mat.metadata["shards"].value == 3
    shard_steps = {e.step_key for e in result.all_events if e.is_step_success and "_shard[" in e.step_key}
    assert len(shard_steps) == 9
    assert all(e.passed for e in evaluations(result))
    assert _invoices(engine) == sorted([("t0", 6422, 642, 7064), ("t2", 6422, 0, 6422)]
                                       + [(f"t{k}", 6422, 642, 7064) for k in (1, 3, 4, 5, 6)])


def test_a_run_without_shards_config_is_one_shard_in_process(engine, instance):
    _tenants(engine, 3)
    result = run(instance)
    assert result.success
    [mat] = result.asset_materializations_for_node("tenant_invoices")
    assert (mat.metadata["shards"].value, mat.metadata["created"].value) == (1, 3)


def test_rollup_with_shards_runs_them_in_parallel_processes(engine, warehouse_url, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("shards write in parallel on PostgreSQL; SQLite takes one writer at a time")
    _tenants(engine)
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": warehouse_url}
    p = subprocess.run([EXE, "rollup", "--period", "2026-04", "--shards", "2"], env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "7 created" in p.stdout
    assert _invoices(engine)[0] == ("t0", 6422, 642, 7064)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        [r] = instance.get_runs()
        starts = [e.dagster_event for e in instance.all_logs(r.run_id)
                  if e.dagster_event and e.dagster_event.event_type_value == "STEP_START"]
    shard_pids = {e.pid for e in starts if e.step_key.startswith("deployment_quotes.write_quotes_shard[")}
    assert len(shard_pids) == 2 and os.getpid() not in shard_pids


def test_rollup_refuses_a_shard_count_out_of_range(tmp_path):
    p = subprocess.run([EXE, "rollup", "--period", "2026-04", "--shards", "0"], capture_output=True, text=True,
                       env={**os.environ, "DAGSTER_HOME": str(tmp_path)}, timeout=60)
    assert p.returncode == 2
    assert "--shards takes a whole number from 1 to 64, got '0'" in p.stderr
