"""`arcadia-pipelines credit-note suggest` as a subprocess: the note it proposes, POSTed to the real
API, makes drift after invoicing go away; nothing to credit says so and exits 0."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import dagster as dg
import pytest
import sqlalchemy as sa

from arcadia_pipelines.api.keys import create_key
from arcadia_pipelines.monthend.drift import invoice_drift
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines_tests.api.conftest import serve
from arcadia_pipelines_tests.builders import World, at, rows
from arcadia_pipelines_tests.defs.runs import evaluations, run_drift
from arcadia_pipelines_tests.monthend.rollup import APRIL, rollup
from arcadia_pipelines_tests.test_cli import cli

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess


@pytest.fixture
def home(tmp_path, warehouse_url):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {"DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": warehouse_url}


@pytest.fixture
def invoiced(engine):
    """April invoiced for pilot (the worked example, then issued) and switch (left a draft)."""
    World(engine).worked_example("pilot").example_tenant("switch")
    rollup(engine)
    ids = {r["tenant_id"]: r["id"] for r in rows(engine, t.tenant_invoices)}
    with engine.begin() as conn:
        apply_move(conn, ids["pilot"], "issue", datetime.now(timezone.utc))
    return ids


def drift_check_passes(warehouse_url, monkeypatch) -> tuple[bool, str]:
    """The drift check run by Dagster (the `invoice_drift` job, as its schedule runs it), and what it found."""
    monkeypatch.setenv("ARCADIA_WAREHOUSE_URL", warehouse_url)
    with dg.instance_for_test() as instance:
        result = run_drift(instance)
    assert result.success
    [check] = [e for e in evaluations(result) if e.check_name == "invoices_match_current_data"]
    return check.passed, check.metadata["worst_first"].value


def suggest(home, invoice_id, *flags, check=True):
    return cli("credit-note", "suggest", str(invoice_id), *flags, env=home, check=check)


def test_the_suggested_note_posted_to_the_api_clears_the_drift(engine, home, invoiced, warehouse_url, monkeypatch):
    pilot = invoiced["pilot"]
    quiet = suggest(home, pilot, "--json")
    assert quiet.stdout == "" and "matches its data: nothing to credit" in quiet.stderr
    # after invoicing: a droplet is found to have stopped on 1 April, and the addon was never provisioned
    with engine.begin() as c:
        c.execute(sa.update(t.metered_resources).where(t.metered_resources.c.resource_id == "pilot-droplet-2")
                  .values(ended_at=at(2026, 4, 1), last_seen_at=at(2026, 4, 1)))
        c.execute(sa.delete(t.subscription_addons).where(t.subscription_addons.c.subscription_id == "sub-pilot"))
    with engine.connect() as c:
        [drift] = invoice_drift(c, APRIL, [pilot])
    assert drift.over_billed_cents == 672 + 750
    passed, worst = drift_check_passes(warehouse_url, monkeypatch)
    assert not passed and f"credit-note suggest {pilot}" in worst

    shown = suggest(home, pilot)
    assert "no longer matches its data" in shown.stdout and "Overage: droplet_hours" in shown.stdout
    assert "subtotal 14.22, GST 1.42, total 15.64 AUD; balance after it 55.00 AUD" in shown.stdout
    piped = suggest(home, pilot, "--json")
    body = json.loads(piped.stdout)  # stdout is exactly the request body
    lines = {ln["description"]: ln["id"] for ln in rows(engine, t.tenant_invoice_lines, invoice_id=pilot)}
    assert body["lines"] == [{"line_id": lines["Addon: storage_50gb"], "amount_cents": 750},
                             {"line_id": lines["Overage: droplet_hours (2160 used, 1488 included)"],
                              "amount_cents": 672}]
    assert body["reason"].startswith("2026-04 recomputed from current data")

    admin = create_key(engine, "platform_admin")[1]
    with serve(engine) as api:
        made = api.http.post(f"/api/v1/invoices/{pilot}/credit_notes", content=piped.stdout,
                             headers={"Authorization": f"Bearer {admin}"})
        assert made.status_code == 201, made.text
        assert (made.json()["data"]["total_cents"], made.json()["data"]["tax_cents"]) == (1564, 142)
        invoice = api.get(f"/api/v1/invoices/{pilot}", admin).json()["data"]
    assert (invoice["total_cents"], invoice["balance_cents"]) == (7064, 7064 - 1564)
    with engine.connect() as c:
        assert invoice_drift(c, APRIL, [pilot]) == []
    assert drift_check_passes(warehouse_url, monkeypatch)[0]
    again = suggest(home, pilot, "--json")
    assert again.stdout == "" and "matches its data: nothing to credit" in again.stderr


def test_nothing_to_credit_says_why_and_exits_0(engine, home, invoiced):
    draft = suggest(home, invoiced["switch"])
    assert draft.stdout.strip() == (f"invoice {invoiced['switch']} (switch, 2026-04) is draft: nothing to credit; "
                                    "recompute it with 'arcadia-pipelines rollup --period 2026-04 --force'")
    World(engine).resource("dep-pilot", "pilot-late-droplet", at(2026, 4, 1))  # late usage: under-billed only
    under = suggest(home, invoiced["pilot"])
    assert under.returncode == 0 and "nothing to credit; under-billed 7.20 AUD" in under.stdout
    missing = suggest(home, 424242, check=False)
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip() == ("arcadia-pipelines credit-note suggest: error: invoice 424242 does not exist "
                                      "(is ARCADIA_WAREHOUSE_URL the warehouse you meant?)")


def test_help_describes_the_verb_with_examples():
    top = cli("--help", env={"COLUMNS": "200"}).stdout
    assert re.search(r"^    credit-note\s+Suggest the credit note .+\.$", top, re.MULTILINE)  # may wrap
    assert "  arcadia-pipelines credit-note suggest 3 --json\n" in top
    for verb in ("suggest", "pdf", "csv"):
        text = cli("credit-note", verb, "--help").stdout
        assert len(text.split("\n\n")[1]) > 30 and f"example:\n  arcadia-pipelines credit-note {verb} " in text
