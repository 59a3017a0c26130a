"""A fresh DAGSTER_HOME used by several `arcadia-pipelines rollup` at once (cron, a script's loop):
Dagster's first-time storage creation must happen once, or the home is broken for good."""

import os
import subprocess

import pytest

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import upgrade
from arcadia_pipelines_tests.builders import World, rows
from arcadia_pipelines_tests.test_cli import EXE, cli

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess

ROLLUPS = 4


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_first_rollups_on_a_fresh_home_all_succeed(tmp_path, attempt):
    home = tmp_path / "home"          # does not exist yet: nothing in it, not even dagster.yaml
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = create_warehouse_engine(url)
    upgrade(engine)
    World(engine).worked_example()
    env = {**os.environ, "DAGSTER_HOME": str(home), "ARCADIA_WAREHOUSE_URL": url}
    procs = [subprocess.Popen([EXE, "rollup", "--period", "2026-04"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(ROLLUPS)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * ROLLUPS, outputs
    assert all(err == "" for _, err in outputs), outputs
    assert len(rows(engine, t.tenant_invoices)) == 1
    # the home is whole: a later run works and sees every earlier one
    again = cli("rollup", "--period", "2026-04", env=env).stdout
    assert "1 already invoiced" in again
    engine.dispose()
