"""A run whose process is killed -9 is marked failed by the daemon's run monitoring, and the run
queued behind it for the same month starts: the repository's dagster.yaml on PostgreSQL, the real
`dagster-daemon`, the default run launcher. Intervals are shortened in the test's copy only.

The killed run executes in its own process, as `arcadia-pipelines rollup` runs: no code server
watches it, so only run monitoring can end it. (A worker the daemon launched through a code
server is reported failed by that server as soon as it dies; the test checks that too.)"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULE = "arcadia_pipelines_tests.defs.slow_month_location"
MONTH = "2026-04-01"
MAX_RUNTIME_S = 40  # room for `dagster job launch` to load the code location on a loaded 2-core machine
S = dg.DagsterRunStatus


@pytest.fixture
def home(tmp_path, pg_admin, monkeypatch) -> dict[str, str]:
    """A DAGSTER_HOME with the production dagster.yaml on a throw-away PostgreSQL database,
    monitoring and dequeuing every second and a short maximum run time."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    assert config["run_monitoring"]["enabled"] is True
    config["run_monitoring"].update(poll_interval_seconds=1, max_runtime_seconds=MAX_RUNTIME_S)
    config["run_coordinator"]["config"]["dequeue_interval_seconds"] = 1
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    env = {"DAGSTER_HOME": str(tmp_path), "DAGSTER_POSTGRES_URL": pg_admin("instance"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **env}


def start(args: list, env: dict[str, str]) -> subprocess.Popen:
    """In a process group of its own, so that it and every process it starts can be killed."""
    return subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


def queue_run(env: dict[str, str]) -> str:
    """Submit a run of the month to the instance's queue, as the UI does; returns its id."""
    run_id = str(uuid.uuid4())
    subprocess.run([BIN / "dagster", "job", "launch", "-m", MODULE, "-j", "slow_month_job", "--run-id", run_id,
                    "--tags", f'{{"dagster/partition": "{MONTH}"}}'],
                   env=env, cwd=REPO, check=True, capture_output=True, timeout=60)
    return run_id


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        if found := re.search(r"Started process for run \(pid: (\d+)\)", entry.message or ""):
            return int(found.group(1))
    return None


def test_a_killed_run_is_marked_failed_and_the_months_queue_moves_on(home):
    first = str(uuid.uuid4())
    processes = [start([BIN / "dagster-daemon", "run", "-m", MODULE], home),
                 start([sys.executable, "-m", MODULE, MONTH, first], home)]
    try:
        with dg.DagsterInstance.get() as instance:
            def status(run_id):
                run = instance.get_run_by_id(run_id)
                return run and run.status

            wait_for(lambda: status(first) == S.STARTED, 60, "run 1 to start")
            os.killpg(processes[1].pid, signal.SIGKILL)
            processes[1].wait()

            second = queue_run(home)  # waits behind run 1, which nobody knows is dead
            assert (status(first), status(second)) == (S.STARTED, S.QUEUED)

            wait_for(lambda: status(first) == S.FAILURE, MAX_RUNTIME_S + 30, "run monitoring to fail run 1")
            assert any(f"maximum runtime of {MAX_RUNTIME_S} seconds" in (e.message or "")
                       for e in instance.all_logs(first))
            wait_for(lambda: status(second) == S.STARTED, 60, "run 2 to start")
            [record_1] = instance.get_run_records(dg.RunsFilter(run_ids=[first]))
            [record_2] = instance.get_run_records(dg.RunsFilter(run_ids=[second]))
            assert record_2.start_time >= record_1.end_time  # dequeued only once run 1 was failed

            # run 2 runs in a worker the daemon launched: its code server reports its death at once
            os.kill(wait_for(lambda: worker_pid(instance, second), 10, "run 2's worker"), signal.SIGKILL)
            wait_for(lambda: status(second) == S.FAILURE, 30, "run 2 to be marked failed")
    finally:
        for process in processes:
            stop(process)
