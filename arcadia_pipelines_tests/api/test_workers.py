"""`arcadia-pipelines api` in ARCADIA_API_WORKERS worker processes: each answers like the single
process did, and a malformed setting is refused in one line."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from arcadia_pipelines.api.keys import create_key

from .conftest import Api

EXE = str(Path(sys.executable).parent / "arcadia-pipelines")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def test_two_workers_share_the_port_and_answer_every_read(warehouse_url, engine, ledger, tmp_path):
    ledger.tenant("acme")
    invoice = ledger.invoice("acme")
    key = create_key(engine, "tenant", "acme")[1]
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin", "ARCADIA_WAREHOUSE_URL": warehouse_url, "DAGSTER_HOME": str(tmp_path),
           "ARCADIA_API_WORKERS": "2"}
    log_path = tmp_path / "api.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([EXE, "api", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.1)
        api = Api(f"http://127.0.0.1:{port}")
        answers = [api.get(f"/api/v1/invoices/{invoice}", key) for _ in range(20)]
        assert {r.status_code for r in answers} == {200}
        assert {r.json()["data"]["tenant_id"] for r in answers} == {"acme"}
        assert api.get("/api/v1/invoices", "ak_unknown").status_code == 401
        api.http.close()
        while len(_children(proc.pid)) < 2:  # the second worker may still be starting
            assert time.monotonic() < deadline, f"one worker process only: {log_path.read_text()}"
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(20)
    assert key[9:20] not in log_path.read_text()


def test_a_malformed_worker_count_is_refused_in_one_line(tmp_path):
    run = subprocess.run([EXE, "api", "--port", str(_free_port())], capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path), "ARCADIA_API_WORKERS": "0"})
    assert run.returncode != 0
    assert "ARCADIA_API_WORKERS must be a whole number from 1 to 64, got '0'" in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
