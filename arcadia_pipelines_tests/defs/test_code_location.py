"""`dagster-webserver` on loopback serves the code location: every contract asset, monthly partitions."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MONTHLY = ["deployment_usage", "deployment_quotes", "tenant_invoices", "cloud_invoices", "cost_vs_revenue"]
QUERY = """{ assetNodes { assetKey { path } isPartitioned
  partitionDefinition { type name description } partitionKeysByDimension { partitionKeys } } }"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port, query):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


@pytest.fixture
def webserver(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("dagster-webserver")), "-m",
                             "arcadia_pipelines.definitions", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while True:
        try:
            if graphql(port, "{ version }").get("data"):
                break
        except OSError:
            pass
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.time() < deadline, "webserver did not start"
        time.sleep(0.5)
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def test_graphql_lists_every_contract_asset_with_its_partitions(webserver):
    nodes = {"/".join(n["assetKey"]["path"]): n for n in graphql(webserver, QUERY)["data"]["assetNodes"]}
    for name in MONTHLY:
        node = nodes[name]
        assert node["isPartitioned"] and node["partitionDefinition"]["type"] == "TIME_WINDOW"
        keys = node["partitionKeysByDimension"][0]["partitionKeys"]
        assert keys[0] == "2024-01-01" and "2026-04-01" in keys
    assert not nodes["do_inventory"]["isPartitioned"]
    for source in ("tenants", "subscriptions", "plans", "tax_rates"):
        assert source in nodes


@pytest.mark.parametrize("instance", ["embedded", "production"])
def test_dg_check_defs_passes_from_the_repository_root(tmp_path, pg_admin, instance):
    """`[tool.dg]` in pyproject.toml points `dg` at the code location; with an empty DAGSTER_HOME
    (embedded SQLite) and with the repository's production dagster.yaml."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    if instance == "production":
        (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
        env["DAGSTER_POSTGRES_URL"] = pg_admin("validate")
    p = subprocess.run([str(Path(sys.executable).with_name("dg")), "check", "defs"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "All definitions loaded successfully" in p.stderr + p.stdout
