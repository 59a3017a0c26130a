"""`dg launch --job monthly_invoicing --partition ...` passes no run config (and Dagster ignores
the job's per-partition default config there): its steps still run in the run's own process, and
in step processes of their own only when the run config asks for `multiprocess`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, rows

ROOT = Path(__file__).resolve().parents[2]
DG = Path(sys.executable).parent / "dg"


def _launch(home: Path, warehouse_url: str, *extra: str) -> tuple[dg.DagsterRun, list[dg.DagsterEvent]]:
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "ARCADIA_WAREHOUSE_URL": warehouse_url}
    env.pop("ARCADIA_STEP_EXECUTOR", None)
    p = subprocess.run([str(DG), "launch", "--job", "monthly_invoicing", "--partition", "2026-04-01", *extra],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        return run, [e.dagster_event for e in instance.all_logs(run.run_id) if e.dagster_event]


def _step_pids(events) -> set[int]:
    return {e.pid for e in events if e.event_type == dg.DagsterEventType.STEP_START}


@pytest.mark.slow
def test_dg_launch_without_run_config_runs_every_step_in_the_runs_process(engine, warehouse_url, tmp_path):
    World(engine).worked_example()
    run, events = _launch(tmp_path, warehouse_url)

    [run_start] = [e for e in events if e.event_type == dg.DagsterEventType.RUN_START]
    assert len([e for e in events if e.event_type == dg.DagsterEventType.STEP_START]) >= 9
    assert _step_pids(events) == {run_start.pid}
    assert any(e.message.startswith("Executing steps in process") for e in events
               if e.event_type == dg.DagsterEventType.ENGINE_EVENT)
    assert [(i["tenant_id"], i["total_cents"]) for i in rows(engine, t.tenant_invoices)] == [("pilot", 7064)]


@pytest.mark.slow
def test_dg_launch_asking_for_multiprocess_runs_steps_in_processes_of_their_own(engine, warehouse_url, tmp_path):
    World(engine).worked_example()
    config = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}},
              "ops": {"tenant_invoices": {"config": {"shards": 2}}}}
    run, events = _launch(tmp_path, warehouse_url, "--config-json", json.dumps(config))

    [run_start] = [e for e in events if e.event_type == dg.DagsterEventType.RUN_START]
    pids = _step_pids(events)
    assert run_start.pid not in pids and len(pids) > 1
    assert [(i["tenant_id"], i["total_cents"]) for i in rows(engine, t.tenant_invoices)] == [("pilot", 7064)]
