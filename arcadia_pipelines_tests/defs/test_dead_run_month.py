"""What README "Crashed runs" promises about a run killed without a trace: the warehouse holds
nothing of it (its transaction and the month's locks die with its connection), so the next run
of the month invoices it at once; only the Dagster instance still shows it STARTED, until run
monitoring fails it after `max_runtime_seconds` or the README's command marks it failed by hand."""

import os
import signal
import subprocess
import sys
import time
import zlib

import dagster as dg
import pytest
import sqlalchemy as sa

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines_tests.builders import World, rows

pytestmark = pytest.mark.slow

BIN = os.path.dirname(sys.executable)
# README, "Crashed runs": marks a dead run failed (its month's queued runs then start)
MARK_FAILED = ("import sys, dagster as dg; i = dg.DagsterInstance.get(); "
               "i.report_run_failed(i.get_run_by_id(sys.argv[1]), 'its process died (marked by hand)')")


def test_a_rollup_killed_mid_stage_leaves_its_month_free_and_is_marked_failed_by_hand(empty_pg_url, tmp_path):
    engine = create_warehouse_engine(empty_pg_url)
    World(engine).worked_example()
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": empty_pg_url}
    env.pop("ARCADIA_STEP_EXECUTOR", None)
    # the last piece of April's tenants held: the rollup stops inside its usage transaction
    holder = engine.connect()
    holder.execute(sa.text("SELECT pg_advisory_lock(:a, 63)"), {"a": zlib.crc32(b"monthly_invoicing/2026-04") & 0x7FFFFFFF})
    killed = subprocess.Popen([f"{BIN}/arcadia-pipelines", "rollup", "--period", "2026-04"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not holder.execute(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                             ).scalar():
        assert time.monotonic() < deadline and killed.poll() is None
        time.sleep(0.2)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    holder.execute(sa.text("SELECT pg_advisory_unlock_all()"))
    holder.close()

    again = subprocess.run([f"{BIN}/arcadia-pipelines", "rollup", "--period", "2026-04"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    assert [(i["tenant_id"], i["total_cents"]) for i in rows(engine, t.tenant_invoices)] == [("pilot", 7064)]

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        dead, done = sorted(instance.get_runs(), key=lambda r: r.status != dg.DagsterRunStatus.STARTED)
        assert (dead.status, done.status) == (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.SUCCESS)
    p = subprocess.run([sys.executable, "-c", MARK_FAILED, dead.run_id], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
    engine.dispose()
