"""The `arcadia-pipelines` CLI as a subprocess, as people and cron run it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines_tests.builders import World, rows

ROOT = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("arcadia-pipelines"))


def cli(*args, env=None, check=True, **kw):
    p = subprocess.run([EXE, *args], env={**os.environ, **(env or {})}, capture_output=True, text=True,
                       timeout=180, **kw)
    if check:
        assert p.returncode == 0, p.stderr[-2000:]
    return p


@pytest.fixture
def home(tmp_path, warehouse_url):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {"DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": warehouse_url}


def test_demo_prints_the_worked_example_from_a_fresh_home(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "ARCADIA_WAREHOUSE_URL")}
    p = subprocess.run([EXE, "demo"], env=env, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    pilot = p.stdout[p.stdout.index("Pilot Pty Ltd"):]
    for expected in ("Addon: storage_50gb", "64.22", "GST 10%", "6.42", "70.64"):
        assert expected in pilot
    assert "succeeded" in p.stdout


def test_quote_and_invoice_agree_to_the_cent(engine, home):
    World(engine).worked_example()
    cli("rollup", "--period", "2026-04", env=home)
    quote = json.loads(cli("quote", "--plan", "studio", "--addon", "storage_50gb", "--usage",
                           "droplet_hours=2160", "--period", "2026-04", "--json", env=home).stdout)
    [inv] = rows(engine, t.tenant_invoices)
    lines = rows(engine, t.tenant_invoice_lines, order_by="line_no")
    assert [(q["kind"], q["description"], q["amount_cents"]) for q in quote["lines"]] == \
        [(ln["kind"], ln["description"], ln["amount_cents"]) for ln in lines]
    assert (quote["subtotal_cents"], quote["tax_cents"], quote["total_cents"]) == \
        (inv["subtotal_cents"], inv["tax_cents"], inv["total_cents"]) == (6422, 642, 7064)
    # decimals as people and JSON consumers read them, never exponent form
    assert [(q["quantity"], q["unit_price_cents"]) for q in quote["lines"]] == \
        [("1", "5000"), ("1", "750"), ("672", "1"), ("0.1", "6422")]
    text = cli("quote", "--plan", "studio", "--usage", "droplet_hours=1500", "--country", "NZ",
               "--period", "2026-04", env=home).stdout
    assert "50.12" in text and "GST" not in text   # 5000 + 12 h over; NZ has no tax rate


def test_rollup_records_its_run_on_the_instance_and_reruns_are_no_ops(engine, home):
    World(engine).worked_example()
    first = cli("rollup", "--period", "2026-04", env=home).stdout
    assert "1 created" in first
    again = cli("rollup", "--period", "2026-04", env=home).stdout
    assert "0 created" in again and "1 already invoiced" in again
    assert len(os.listdir(Path(home["DAGSTER_HOME"]) / "history" / "runs")) >= 2 or \
        (Path(home["DAGSTER_HOME"]) / "history" / "runs.db").exists()


@pytest.mark.parametrize("args, message", [
    (["rollup", "--period", "2099-01"], "the month has not ended yet"),
    (["rollup", "--period", "2026-13"], "YYYY-MM"),
    (["quote", "--plan", "platinum", "--period", "2026-04"], "unknown_plan_version"),
    (["quote", "--plan", "studio", "--usage", "droplet_hours=lots"], "METER=QTY"),
    (["quote", "--plan", "studio", "--addon", "storage_50gb=-1"], "CODE=QTY"),
])
def test_bad_input_gets_one_clear_line_and_a_nonzero_exit(engine, home, args, message):
    World(engine).worked_example()
    p = cli(*args, env=home, check=False)
    assert p.returncode != 0
    assert message in p.stderr
    assert "Traceback" not in p.stderr


def test_a_failed_tenant_makes_rollup_exit_nonzero_naming_it(engine, home):
    w = World(engine).worked_example()
    w.tenant("broken").deployment("db", "broken")
    w.subscription("sb", "broken", "db", "studio", started_at=rows(engine, t.subscriptions)[0]["started_at"],
                   status="paused")
    p = cli("rollup", "--period", "2026-04", env=home, check=False)
    assert p.returncode == 1
    assert "tenant broken, subscription sb: unknown_subscription_status" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert [i["tenant_id"] for i in rows(engine, t.tenant_invoices)] == ["pilot"]


def test_migrate_is_idempotent(tmp_path):
    env = {"ARCADIA_WAREHOUSE_URL": f"sqlite:///{tmp_path}/w.db", "DAGSTER_HOME": str(tmp_path)}
    assert "schema revision" in cli("migrate", env=env).stdout
    assert "schema revision" in cli("migrate", env=env).stdout
    engine = create_warehouse_engine(env["ARCADIA_WAREHOUSE_URL"])
    assert {"tenants", "tenant_invoices", "cost_vs_revenue"} <= set(sa.inspect(engine).get_table_names())


def test_two_rollups_started_together_on_postgresql_invoice_each_tenant_once(pg_admin, empty_pg_url, tmp_path):
    """The production instance (top-level dagster.yaml) on PostgreSQL, two runs of one month at once."""
    pg_url = empty_pg_url
    engine = create_warehouse_engine(pg_url)
    w = World(engine).worked_example("t0")
    for n in range(1, 10):
        w.example_tenant(f"t{n}")
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": pg_url,
           "DAGSTER_POSTGRES_URL": pg_admin("instance")}
    procs = [subprocess.Popen([EXE, "rollup", "--period", "2026-04"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    created = sorted(int(out.split(" created")[0].rsplit(" ", 1)[1]) for out, _ in outputs)
    assert created == [0, 10]
    invoices = rows(engine, t.tenant_invoices)
    assert len(invoices) == 10 and {i["total_cents"] for i in invoices} == {7064}
    assert len(rows(engine, t.tenant_invoice_lines)) == 40
    instance_db = create_warehouse_engine(env["DAGSTER_POSTGRES_URL"])
    with instance_db.connect() as c:
        statuses = c.execute(sa.text("SELECT status FROM runs")).scalars().all()
    assert statuses == ["SUCCESS", "SUCCESS"]
    instance_db.dispose()
    engine.dispose()
