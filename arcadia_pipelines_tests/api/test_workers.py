"""`arcadia-pipelines api` in ARCADIA_API_WORKERS worker processes: each answers like the single
process did, and a malformed setting is refused in one line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from arcadia_pipelines.api.keys import create_key

from .conftest import api_command, free_port

pytestmark = pytest.mark.slow  # servers and the CLI as subprocesses


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def test_two_workers_share_the_port_and_answer_every_read(warehouse_url, engine, ledger, tmp_path):
    ledger.tenant("acme")
    invoice = ledger.invoice("acme")
    key = create_key(engine, "tenant", "acme")[1]
    env = {"PATH": "/usr/bin:/bin", "ARCADIA_WAREHOUSE_URL": warehouse_url, "DAGSTER_HOME": str(tmp_path),
           "ARCADIA_API_WORKERS": "2"}
    log_path = tmp_path / "api.log"
    with api_command(env, log_path) as api:
        answers = [api.get(f"/api/v1/invoices/{invoice}", key) for _ in range(20)]
        assert {r.status_code for r in answers} == {200}
        assert {r.json()["data"]["tenant_id"] for r in answers} == {"acme"}
        assert api.get("/api/v1/invoices", "ak_unknown").status_code == 401
        deadline = time.monotonic() + 60
        while len(_children(api.pid)) < 2:  # the second worker may still be starting
            assert time.monotonic() < deadline, f"one worker process only: {log_path.read_text()}"
            time.sleep(0.1)
    assert key[9:20] not in log_path.read_text()


def test_a_malformed_worker_count_is_refused_in_one_line(tmp_path):
    exe = str(Path(sys.executable).parent / "arcadia-pipelines")
    run = subprocess.run([exe, "api", "--port", str(free_port())], capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path), "ARCADIA_API_WORKERS": "0"})
    assert run.returncode != 0
    assert "ARCADIA_API_WORKERS must be a whole number from 1 to 64, got '0'" in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
