"""`DAGSTER_HOME=X arcadia-pipelines demo` leaves X as the UI and later runs find it: the same
warehouse the code location reads, the runs in X's instance, and nothing doubled on a second go."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from arcadia_pipelines.demo.seed import ROWS
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine

EXE = str(Path(sys.executable).with_name("arcadia-pipelines"))


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    p = subprocess.run([EXE, *args], check=False, env=env, capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stderr[-2000:]
    return p


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_home(request, tmp_path) -> tuple[dict[str, str], str]:
    """An environment with DAGSTER_HOME set, and the warehouse URL the code location will read:
    the default SQLite file in the home, or a PostgreSQL warehouse in ARCADIA_WAREHOUSE_URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "ARCADIA_WAREHOUSE_URL")}
    env["DAGSTER_HOME"] = str(tmp_path / "home")
    if request.param == "sqlite":
        return env, f"sqlite:///{tmp_path / 'home' / 'warehouse.db'}"
    env["ARCADIA_WAREHOUSE_URL"] = request.getfixturevalue("pg_admin")("demo")
    return env, env["ARCADIA_WAREHOUSE_URL"]


def test_demo_then_a_rollup_on_the_same_home_keeps_the_demo_invoices(demo_home):
    env, url = demo_home
    first = cli("demo", env=env)
    assert "70.64" in first.stdout and "dg dev" in first.stdout
    again = cli("demo", env=env)  # idempotent seed, invoiced tenants skipped
    assert "70.64" in again.stdout

    rollup = cli("rollup", "--period", "2026-04", env=env)
    assert "0 created" in rollup.stdout and "4 already invoiced" in rollup.stdout
    run_id = re.match(r"run (\S+):", rollup.stdout).group(1)

    engine = create_warehouse_engine(url)
    with engine.connect() as conn:
        invoices = conn.execute(sa.select(t.tenant_invoices.c.tenant_id, t.tenant_invoices.c.total_cents)
                                .order_by(t.tenant_invoices.c.tenant_id)).all()
        seeded = {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                  for table in (t.tenants, t.subscriptions, t.metered_resources)}
    engine.dispose()
    assert [tenant for tenant, _ in invoices] == ["harbour", "kiwi", "pilot", "switch"]
    assert dict(invoices)["pilot"] == 7064  # the contract's worked example
    assert seeded == {table.name: len(ROWS[table]) for table in (t.tenants, t.subscriptions, t.metered_resources)}

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        latest = instance.get_latest_materialization_event(dg.AssetKey("tenant_invoices"))
        demo_runs = instance.get_runs(dg.RunsFilter(job_name="monthly_invoicing"))
    assert latest.run_id == run_id and latest.asset_materialization.partition == "2026-04-01"
    assert latest.asset_materialization.metadata["dagster/row_count"].value == 4
    assert len(demo_runs) == 3  # both demos' runs and the rollup's, all in DAGSTER_HOME's instance


def test_without_dagster_home_the_demo_is_throw_away_and_says_how_to_keep_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "ARCADIA_WAREHOUSE_URL")}
    env["TMPDIR"] = str(tmp_path)
    out = cli("demo", env=env).stdout
    [hint] = [line for line in out.splitlines() if "DAGSTER_HOME=$PWD" in line]
    assert "throw-away" in hint
    [home] = list(tmp_path.glob("arcadia-demo-*"))
    assert (home / "warehouse.db").is_file()
