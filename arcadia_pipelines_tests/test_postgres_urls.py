"""The production shape from the README: the repository's dagster.yaml with its storage in
`DAGSTER_POSTGRES_URL` and the warehouse in `ARCADIA_WAREHOUSE_URL`, both plain `postgresql://`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from arcadia_pipelines.demo.seed import seed
from arcadia_pipelines.instance_storage import with_psycopg2
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import upgrade

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess

REPO = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("arcadia-pipelines"))


def test_rollup_with_plain_postgresql_urls_for_instance_and_warehouse(pg_admin, tmp_path, monkeypatch):
    instance_url, warehouse_url = pg_admin("instance"), pg_admin("warehouse")
    assert instance_url.startswith("postgresql://") and warehouse_url.startswith("postgresql://")
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    engine = create_warehouse_engine(warehouse_url)
    upgrade(engine)
    with engine.begin() as conn:
        seed(conn)
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "DAGSTER_POSTGRES_URL": instance_url,
           "ARCADIA_WAREHOUSE_URL": warehouse_url}

    p = subprocess.run([EXE, "rollup", "--period", "2026-04"], check=False, env=env, capture_output=True, text=True,
                       timeout=240)

    assert p.returncode == 0, p.stderr[-2000:]
    assert "4 created" in p.stdout
    with engine.connect() as conn:
        totals = dict(conn.execute(sa.select(t.tenant_invoices.c.tenant_id, t.tenant_invoices.c.total_cents)).all())
    engine.dispose()
    assert sorted(totals) == ["harbour", "kiwi", "pilot", "switch"] and totals["pilot"] == 7064
    # the run is in the PostgreSQL instance storage, not in SQLite files in the home
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", instance_url)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        [run] = instance.get_runs(dg.RunsFilter(job_name="monthly_invoicing"))
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert not (tmp_path / "history").exists()


def test_the_instance_storage_names_psycopg2_only_for_a_plain_url():
    assert with_psycopg2("postgresql://dagster:p%40ss@db:5432/dagster") == \
        "postgresql+psycopg2://dagster:p%40ss@db:5432/dagster"
    assert with_psycopg2("postgresql+pg8000://dagster@db/dagster") == "postgresql+pg8000://dagster@db/dagster"
