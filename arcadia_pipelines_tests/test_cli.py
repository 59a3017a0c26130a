"""The `arcadia-pipelines` CLI as a subprocess, as people and cron run it."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import upgrade
from arcadia_pipelines_tests.builders import World, rows

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess

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
    assert p.stderr == ""         # no Dagster banner or warning on the terminal


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
    assert text.splitlines()[-1] == "note: NZ has no tax rate for 2026-04: quoted without tax"
    nz = json.loads(cli("quote", "--plan", "studio", "--country", "nz", "--period", "2026-04", "--json",
                        env=home).stdout)
    assert (nz["country"], nz["tax_cents"], nz["tax_rate"], nz["tax_note"]) == \
        ("NZ", 0, None, "NZ has no tax rate for 2026-04: quoted without tax")
    assert (quote["tax_rate"], quote["tax_name"], quote["tax_note"]) == ("0.1", "GST", None)


def test_rollup_records_its_run_on_the_instance_and_reruns_are_no_ops(engine, home):
    World(engine).worked_example()
    first = cli("rollup", "--period", "2026-04", env=home).stdout
    assert "1 created" in first
    again = cli("rollup", "--period", "2026-04", env=home).stdout
    assert "0 created" in again and "1 already invoiced" in again
    assert len(os.listdir(Path(home["DAGSTER_HOME"]) / "history" / "runs")) >= 2 or \
        (Path(home["DAGSTER_HOME"]) / "history" / "runs.db").exists()


def failed_with_one_line(p, secret: str | None = None) -> str:
    """A failing verb: non-zero exit and exactly one line on stderr naming the problem."""
    assert p.returncode != 0, p.stdout
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("arcadia-pipelines") and ": error: " in lines[0]
    assert "Error occurred while executing op" not in lines[0]
    if secret:
        assert secret not in p.stderr + p.stdout
    return lines[0]


@pytest.mark.parametrize("args, message", [
    (["rollup", "--period", "2099-01"], "the month has not ended yet; roll it up once it has"),
    (["rollup", "--period", "2026-13"], "YYYY-MM"),
    (["rollup"], "the following arguments are required: --period; see 'arcadia-pipelines rollup --help'"),
    (["quote", "--plan", "platinum", "--period", "2026-04"],
     "unknown plan 'platinum' for 2026-04; plans priced for 2026-04: studio"),
    (["quote", "--plan", "studio", "--addon", "gpu_pack", "--period", "2026-04"],
     "unknown addon 'gpu_pack' for 2026-04; addons priced for 2026-04: storage_50gb"),
    (["quote", "--plan", "studio", "--period", "2025-12"], "no plan is priced for 2025-12"),
    (["quote", "--plan", "studio", "--country", "ZZ"], "'ZZ' is not an ISO 3166-1 alpha-2 country code"),
    (["quote", "--plan", "studio", "--country", "AUS"], "'AUS' is not an ISO 3166-1 alpha-2 country code"),
    (["quote", "--plan", "studio", "--usage", "droplet_hours=lots"], "METER=QTY"),
    (["quote", "--plan", "studio", "--addon", "storage_50gb=-1"], "CODE=QTY"),
    (["api-key", "create", "--role", "owner"], "invalid choice: 'owner'"),
    (["api-key", "create", "--role", "tenant"], "a tenant key needs --tenant ID"),
    (["api-key", "create", "--role", "tenant", "--tenant", "nobody"], "unknown tenant 'nobody'"),
    (["api-key", "revoke", "999"], "no api key with id 999"),
    ([], "the following arguments are required: VERB"),
])
def test_bad_input_gets_one_clear_line_and_a_nonzero_exit(engine, home, args, message):
    World(engine).worked_example()
    p = cli(*args, env=home, check=False)
    assert message in failed_with_one_line(p)
    assert p.stdout == ""


BAD_URL = "postgresql://nobody:secret@127.0.0.1:1/x"


@pytest.mark.parametrize("url, message", [
    (BAD_URL, "Connection refused"),
    (BAD_URL.replace("postgresql:", "postgresql+psycopg2:"), "Connection refused"),
    ("not a url", "check the database URL's form"),
])
def test_migrate_with_a_bad_url_says_why_in_one_line_without_the_password(tmp_path, url, message):
    p = cli("migrate", env={"ARCADIA_WAREHOUSE_URL": url, "DAGSTER_HOME": str(tmp_path)}, check=False)
    assert message in failed_with_one_line(p, secret="secret")


def test_rollup_with_the_warehouse_unreachable_names_the_cause_not_run_failed(tmp_path):
    p = cli("rollup", "--period", "2026-04", env={"ARCADIA_WAREHOUSE_URL": BAD_URL, "DAGSTER_HOME": str(tmp_path)},
            check=False)
    line = failed_with_one_line(p, secret="secret")
    assert "could not start its resources" in line and "Connection refused" in line
    assert "ARCADIA_WAREHOUSE_URL" in line       # what to do


def test_a_database_outage_mid_run_names_the_lost_connection(pg_admin, tmp_path):
    """The warehouse server drops the rollup's connection while it writes quotes (a trigger ends its
    own backend): the line names the step and the database error, never only Dagster's wrapper."""
    url = make_url(pg_admin("outage")).set(password="hunter2").render_as_string(hide_password=False)
    engine = create_warehouse_engine(url)   # trust auth: the password is only there to be masked
    upgrade(engine)
    World(engine).worked_example()
    with engine.begin() as c:
        c.exec_driver_sql("CREATE FUNCTION outage() RETURNS trigger AS $$ BEGIN "
                          "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$ LANGUAGE plpgsql")
        c.exec_driver_sql("CREATE TRIGGER outage BEFORE INSERT ON deployment_quotes "
                          "FOR EACH STATEMENT EXECUTE FUNCTION outage()")
    engine.dispose()
    p = cli("rollup", "--period", "2026-04", env={"ARCADIA_WAREHOUSE_URL": url, "DAGSTER_HOME": str(tmp_path)},
            check=False)
    line = failed_with_one_line(p, secret="hunter2")
    assert "step deployment_quotes" in line and "connection" in line
    assert "check that the database is up" in line


def test_malformed_input_mid_run_still_gets_one_line(tmp_path):
    """Text in a numeric column on SQLite: whatever the stage makes of it, one line, not the wrapper."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = create_warehouse_engine(url)
    upgrade(engine)
    World(engine).worked_example()
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE metered_resources SET quantity = 'abc'")
    engine.dispose()
    p = cli("rollup", "--period", "2026-04", env={"ARCADIA_WAREHOUSE_URL": url, "DAGSTER_HOME": str(tmp_path)},
            check=False)
    assert "2026-04 failed" in failed_with_one_line(p)


def test_api_key_create_prints_only_the_key_on_stdout(engine, home):
    World(engine).worked_example()
    p = cli("api-key", "create", "--role", "tenant", "--tenant", "pilot", env=home)
    assert re.fullmatch(r"ak_[A-Za-z0-9_-]{43}\n", p.stdout)
    assert "created api key 1 (tenant, tenant pilot)" in p.stderr
    shell = subprocess.run(["bash", "-c", f'KEY=$("{EXE}" api-key create --role platform_admin) && echo "[$KEY]"'],
                           env={**os.environ, **home}, capture_output=True, text=True, timeout=120)
    assert re.fullmatch(r"\[ak_[A-Za-z0-9_-]{43}\]\n", shell.stdout)
    failed = cli("api-key", "create", "--role", "tenant", "--tenant", "nobody", env=home, check=False)
    assert failed.stdout == "" and failed.returncode == 1


def test_rollup_of_a_month_that_bills_nobody_warns_in_one_line_and_succeeds(home):
    p = cli("rollup", "--period", "2026-04", env=home)
    assert "0 created" in p.stdout
    [warning] = p.stderr.splitlines()
    assert warning.startswith("arcadia-pipelines rollup: warning: 2026-04 billed nobody")


def test_first_rollup_on_a_fresh_home_prints_no_banner_and_keeps_an_existing_dagster_yaml(engine, warehouse_url,
                                                                                          tmp_path):
    World(engine).worked_example()
    fresh = tmp_path / "fresh"
    p = cli("rollup", "--period", "2026-04", env={"DAGSTER_HOME": str(fresh), "ARCADIA_WAREHOUSE_URL": warehouse_url})
    assert p.stderr == "" and "1 created" in p.stdout
    assert "enabled: false" in (fresh / "dagster.yaml").read_text()
    assert not (fresh / ".telemetry").exists()
    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("# ours\ntelemetry:\n  enabled: false\n")
    cli("rollup", "--period", "2026-04", env={"DAGSTER_HOME": str(own), "ARCADIA_WAREHOUSE_URL": warehouse_url})
    assert (own / "dagster.yaml").read_text() == "# ours\ntelemetry:\n  enabled: false\n"


def test_help_lists_every_verb_with_a_sentence_and_an_example():
    top = cli("--help", env={"COLUMNS": "200"}).stdout   # each verb's sentence on its own line
    for verb in ("migrate", "rollup", "quote", "demo", "api", "api-key"):
        assert re.search(rf"^    {verb} +[A-Z].+\.$", top, re.MULTILINE), verb
        assert re.search(rf"^  arcadia-pipelines {verb}(?=[ \n])", top, re.MULTILINE), verb
    for verb in (["migrate"], ["rollup"], ["quote"], ["demo"], ["api"], ["api-key"], ["api-key", "create"],
                 ["api-key", "list"], ["api-key", "revoke"]):
        text = cli(*verb, "--help").stdout
        description = text.split("\n\n")[1]
        assert len(description) > 30 and not description.startswith(("options", "positional")), verb
        assert f"example:\n  arcadia-pipelines {verb[0]}" in text, verb


def test_a_failed_tenant_makes_rollup_exit_nonzero_naming_it(engine, home):
    w = World(engine).worked_example()
    w.tenant("broken").deployment("db", "broken")
    w.subscription("sb", "broken", "db", "studio", started_at=rows(engine, t.subscriptions)[0]["started_at"],
                   status="paused")
    p = cli("rollup", "--period", "2026-04", env=home, check=False)
    assert p.returncode == 1
    assert "tenant broken, subscription sb: unknown_subscription_status" in failed_with_one_line(p)
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


def test_api_on_a_port_in_use_says_so_in_one_line(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        p = cli("api", "--port", str(port), env={"DAGSTER_HOME": str(tmp_path)}, check=False)
    assert f"cannot listen on 127.0.0.1:{port}" in failed_with_one_line(p)


@pytest.mark.parametrize("postgres_url, message", [
    (None, 'the environment variable "DAGSTER_POSTGRES_URL" which is not set'),
    ("postgresql://dagster:secret@127.0.0.1:1/dagster", "cannot open its storage: OperationalError"),
])
def test_rollup_on_a_production_home_whose_instance_database_is_missing_says_why(tmp_path, postgres_url, message):
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_POSTGRES_URL"}
    env.update(DAGSTER_HOME=str(tmp_path), **({"DAGSTER_POSTGRES_URL": postgres_url} if postgres_url else {}))
    p = subprocess.run([EXE, "rollup", "--period", "2026-04"], env=env, capture_output=True, text=True, timeout=180)
    assert message in failed_with_one_line(p, secret="secret")
    assert (tmp_path / "dagster.yaml").read_text() == (ROOT / "dagster.yaml").read_text()
