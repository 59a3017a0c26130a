"""A month of monthly_invoicing on two real Celery workers (ARCADIA_STEP_EXECUTOR=celery, RabbitMQ
broker, PostgreSQL instance and warehouse) in two tenant shards: the month equals the one-shard
in-process run row for row, and a worker killed with SIGKILL while it writes a shard neither loses
nor doubles that shard's tenants: the step runs again on the other worker; when the run's own
process dies with it, the run marked failed and re-executed from failure completes the month."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines_tests.builders import World
from arcadia_pipelines_tests.monthend.test_shards import _clear, _written

from .runs import run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BROKER = os.environ.get("ARCADIA_TEST_CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
STAGES = ("deployment_usage", "deployment_quotes", "tenant_invoices")
PRODUCTION_INSTANCE = ROOT / "dagster.yaml"  # the shipped PostgreSQL instance (DAGSTER_POSTGRES_URL)


@pytest.fixture
def broker():
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=3).close()
    except OSError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"RabbitMQ is required under CI=true and does not answer on 127.0.0.1:5672: {e}")
        pytest.skip("RabbitMQ does not answer on 127.0.0.1:5672")
    return BROKER


@pytest.fixture
def month(empty_pg_url, monkeypatch):
    """Four tenants, one in NZ; what the one-shard in-process run writes for April, then emptied."""
    engine = create_warehouse_engine(empty_pg_url)
    w = World(engine).worked_example("t0")
    for n in (1, 2, 3):
        w.example_tenant(f"t{n}", country="NZ" if n == 2 else "AU")
    monkeypatch.setenv("ARCADIA_WAREHOUSE_URL", empty_pg_url)
    with dg.instance_for_test() as instance:
        assert run(instance).success
    whole = _written(engine)
    _clear(engine)
    yield engine, whole
    engine.dispose()


@pytest.fixture
def celery_env(broker, pg_admin, empty_pg_url, tmp_path, monkeypatch):
    """The run's and the workers' environment: a PostgreSQL Dagster instance (this test reads it too)."""
    shutil.copy(PRODUCTION_INSTANCE, tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", pg_admin("instance"))
    return {**os.environ, "DAGSTER_HOME": str(tmp_path),
            "ARCADIA_WAREHOUSE_URL": empty_pg_url, "ARCADIA_STEP_EXECUTOR": "celery",
            "ARCADIA_CELERY_BROKER_URL": broker}


@pytest.fixture
def workers(celery_env, tmp_path):
    """Two workers (one process each) on a queue of this test's own, named w1 and w2."""
    queue = f"arcadia-test-{uuid.uuid4().hex[:8]}"
    procs = {}
    for name in ("w1", "w2"):
        log = open(tmp_path / f"{name}.log", "w")
        procs[name] = subprocess.Popen(
            [str(BIN / "celery"), "-A", "arcadia_pipelines.celery_steps", "worker", "--pool=solo", "-Q", queue,
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-l", "info"],
            cwd=ROOT, env=celery_env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not all("ready." in (tmp_path / f"{n}.log").read_text() for n in procs):
        assert time.monotonic() < deadline, [(tmp_path / f"{n}.log").read_text()[-2000:] for n in procs]
        time.sleep(0.2)
    yield queue, procs
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs.values():
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def _launch(env, queue, shards=2) -> subprocess.Popen:
    """`dg launch` of April in `shards` shards on the workers of `queue`; its output in DAGSTER_HOME/launch.log."""
    config = {"execution": {"config": {"config_source": {"task_default_queue": queue}}},
              "ops": {stage: {"config": {"shards": shards}} for stage in STAGES}}
    return subprocess.Popen([str(BIN / "dg"), "launch", "--job", "monthly_invoicing", "--partition", "2026-04-01",
                             "--config-json", json.dumps(config)],
                            cwd=ROOT, env=env, stdout=open(Path(env["DAGSTER_HOME"]) / "launch.log", "w"),
                            stderr=subprocess.STDOUT)


def _finished(launch: subprocess.Popen, env) -> None:
    launch.wait(timeout=300)
    assert launch.returncode == 0, (Path(env["DAGSTER_HOME"]) / "launch.log").read_text()[-3000:]


def _celery_steps(env) -> list[tuple[str, str]]:
    """(step, worker) of every step a worker started, in order, from the run's event log."""
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs()
        if not runs:
            return []
        out = []
        for entry in instance.all_logs(runs[0].run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            if "in celery worker" in entry.dagster_event.message:
                out.append((entry.step_key, entry.dagster_event.engine_event_data.metadata["Celery worker"].value))
        return out


def _run(env) -> dg.DagsterRun:
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        return instance.get_runs()[-1]        # the first one


def test_rollup_in_two_shards_on_two_celery_workers_equals_the_in_process_month(month, celery_env, workers):
    engine, whole = month
    queue, _ = workers
    p = subprocess.run([str(BIN / "arcadia-pipelines"), "rollup", "--period", "2026-04", "--shards", "2"],
                       env={**celery_env, "ARCADIA_CELERY_QUEUE": queue}, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "4 created" in p.stdout

    assert _run(celery_env).status == dg.DagsterRunStatus.SUCCESS
    assert _written(engine) == whole
    steps = _celery_steps(celery_env)
    assert {s for s, _ in steps if "_shard[" in s} == {f"{stage}[shard_{n}]" for n in (0, 1) for stage in (
        "deployment_usage.write_usage_shard", "deployment_quotes.write_quotes_shard",
        "tenant_invoices.write_invoices_shard")}
    assert {w.split("@")[0] for _, w in steps} == {"w1", "w2"}


SHARD = "deployment_usage.write_usage_shard[shard_1]"


def _kill_mid_shard(env, queue, procs, also_the_run=False) -> tuple[subprocess.Popen, str]:
    """Launch the month and SIGKILL the worker running shard 1's usage step while it is inside
    its transaction (and with `also_the_run`, the run's own process); returns (launch, victim)."""
    # Hold the last piece of April's tenants: shard 1's usage step waits for it mid-transaction.
    holder_engine = create_warehouse_engine(env["ARCADIA_WAREHOUSE_URL"])
    holder = holder_engine.connect()
    holder.execute(sa.text("SELECT pg_advisory_lock(:a, 63)"),
                   {"a": zlib.crc32(b"monthly_invoicing/2026-04") & 0x7FFFFFFF})
    launch = _launch(env, queue)
    try:
        deadline = time.monotonic() + 120
        while not (owner := [w for s, w in _celery_steps(env) if s == SHARD]) or not _waiting(holder):
            assert time.monotonic() < deadline and launch.poll() is None, _run(env)
            time.sleep(0.3)
        victim = owner[0].split("@")[0]
        for process in [procs[victim], *([launch] if also_the_run else [])]:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    finally:
        holder.close()
        holder_engine.dispose()     # ends the session, and with it the lock
    return launch, victim


def test_a_worker_killed_mid_shard_has_its_step_run_again_and_the_month_is_whole(month, celery_env, workers):
    engine, whole = month
    queue, procs = workers
    launch, victim = _kill_mid_shard(celery_env, queue, procs)
    _finished(launch, celery_env)

    assert _run(celery_env).status == dg.DagsterRunStatus.SUCCESS
    runs_of_shard = [w.split("@")[0] for s, w in _celery_steps(celery_env) if s == SHARD]
    assert runs_of_shard[0] == victim and runs_of_shard[-1] != victim
    assert _written(engine) == whole        # every tenant once: nothing lost, nothing doubled


def _waiting(conn: sa.Connection) -> bool:
    """Whether some session waits for an advisory lock (the shard step, stopped mid-way)."""
    return conn.execute(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                        ).scalar() > 0


# README "Crashed runs": a dead run marked failed by hand; then Dagster's "Re-execute from failure".
MARK_FAILED = ("import sys, dagster as dg; i = dg.DagsterInstance.get(); "
               "i.report_run_failed(i.get_run_by_id(sys.argv[1]), 'its process died (marked by hand)')")
FROM_FAILURE = ("import sys, dagster as dg\n"
                "from arcadia_pipelines.dagster_runs.launch import _reconstructable_job\n"
                "i = dg.DagsterInstance.get(); parent = i.get_run_by_id(sys.argv[1])\n"
                "with dg.execute_job(_reconstructable_job(), i, run_config=parent.run_config,\n"
                "                    tags={'dagster/partition': parent.tags['dagster/partition']},\n"
                "                    reexecution_options=dg.ReexecutionOptions.from_failure(parent.run_id, i)) as r:\n"
                "    print(r.success)\n")


def test_a_month_whose_run_and_worker_die_mid_shard_completes_by_re_execution_from_failure(month, celery_env,
                                                                                           workers):
    engine, whole = month
    queue, procs = workers
    _kill_mid_shard(celery_env, queue, procs, also_the_run=True)
    dead = _run(celery_env)
    assert dead.status == dg.DagsterRunStatus.STARTED     # nobody left to say otherwise

    for code in (MARK_FAILED, FROM_FAILURE):
        p = subprocess.run([sys.executable, "-c", code, dead.run_id], cwd=ROOT, env=celery_env, capture_output=True,
                           text=True, timeout=300)
        assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.strip().splitlines()[-1] == "True"
    with dg.DagsterInstance.from_config(celery_env["DAGSTER_HOME"]) as instance:
        statuses = [r.status for r in instance.get_runs()]      # newest first
    assert statuses == [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
    assert _written(engine) == whole        # every tenant once: nothing lost, nothing doubled
