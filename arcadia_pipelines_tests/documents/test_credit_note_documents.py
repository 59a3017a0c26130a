"""A credit note's PDF (an Australian adjustment note) and CSV: through the API, scoped like the
note, and `arcadia-pipelines credit-note pdf|csv` as a subprocess."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from arcadia_pipelines.api.keys import create_key
from arcadia_pipelines.billing.credit_notes import LineCredit
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import (
    tenant_invoice_lines,
    tenant_invoices,
    tenants,
)
from arcadia_pipelines_tests.api.conftest import serve
from arcadia_pipelines_tests.builders import World, rows
from arcadia_pipelines_tests.monthend.rollup import rollup
from arcadia_pipelines_tests.test_cli import cli

from .test_invoice_documents import pdf_text

SUPPLIER = {"ARCADIA_SUPPLIER_NAME": "Arcadia Cloud Pty Ltd", "ARCADIA_SUPPLIER_ABN": "12 345 678 901",
            "ARCADIA_SUPPLIER_ADDRESS": "Level 1, 2 Market St | Sydney NSW 2000"}
ISSUED, CREDITED = datetime(2026, 5, 2, tzinfo=timezone.utc), datetime(2026, 5, 20, 9, tzinfo=timezone.utc)


@pytest.fixture
def note(engine) -> dict:
    """The worked example issued as INV-000001, then its overage line credited 2.40 (+ GST 0.24)."""
    World(engine).worked_example("pilot").example_tenant("other")
    rollup(engine)
    with engine.begin() as c:
        c.execute(tenants.update().where(tenants.c.id == "pilot")
                  .values(legal_name="Pilot Pty Ltd", tax_id="51 824 753 556"))
    pilot = next(i for i in rows(engine, tenant_invoices) if i["tenant_id"] == "pilot")
    overage = next(ln["id"] for ln in rows(engine, tenant_invoice_lines, invoice_id=pilot["id"])
                   if ln["kind"] == "overage")
    with engine.begin() as c:
        apply_move(c, pilot["id"], "issue", ISSUED)
        return create_credit_note(c, pilot["id"], "droplet stopped on 21 April", [LineCredit(overage, 240)], CREDITED)


def test_the_pdf_is_an_adjustment_note_and_the_csv_adds_up(engine, note, monkeypatch):
    for name, value in SUPPLIER.items():
        monkeypatch.setenv(name, value)
    keys = {who: create_key(engine, "tenant", who)[1] for who in ("pilot", "other")}
    with serve(engine) as api:
        pdf = api.get(f"/api/v1/credit_notes/{note['id']}/pdf", keys["pilot"])
        table = api.get(f"/api/v1/credit_notes/{note['id']}/csv", keys["pilot"])
        hidden = [api.get(f"/api/v1/credit_notes/{note['id']}/{fmt}", keys["other"]).status_code
                  for fmt in ("pdf", "csv")]
        monkeypatch.delenv("ARCADIA_SUPPLIER_ABN")
        unconfigured = api.get(f"/api/v1/credit_notes/{note['id']}/pdf", keys["pilot"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="CN-000001.pdf"'
    text = pdf_text(pdf.content)
    for expected in ("Adjustment note", "Arcadia Cloud Pty Ltd", "ABN 12 345 678 901", "CN-000001", "2026-05-20",
                     "INV-000001, issued 2026-05-02", "droplet stopped on 21 April", "Pilot Pty Ltd",
                     "ABN 51 824 753 556", "Overage: droplet_hours", "2.40", "GST 10% credited", "0.24", "2.64"):
        assert expected in text, expected
    assert hidden == [404, 404]  # another tenant's note is never revealed
    assert unconfigured.status_code == 503 and "ARCADIA_SUPPLIER_ABN" in unconfigured.json()["error"]["message"]
    lines = list(csv.DictReader(io.StringIO(table.text)))
    assert [(r["kind"], r["amount_cents"], r["amount"]) for r in lines] == [("credit", "240", "2.40"),
                                                                            ("tax", "24", "0.24")]
    assert {(r["number"], r["invoice_number"], r["note_total_cents"]) for r in lines} == {
        ("CN-000001", "INV-000001", "264")}
    assert sum(int(r["amount_cents"]) for r in lines) == note["total_cents"] == 264


def test_credit_note_pdf_and_csv_from_the_cli(note, home, tmp_path):
    out = tmp_path / "CN-000001.pdf"
    p = cli("credit-note", "pdf", str(note["id"]), "-o", str(out), env={**home, **SUPPLIER})
    assert f"wrote {out}" in p.stderr and "Adjustment note" in pdf_text(out.read_bytes())
    assert cli("credit-note", "csv", str(note["id"]), "-o", "-", env=home).stdout.startswith("credit_note_id,number,date,")
    for args, message in ((["pdf", "999", "-o", str(out)], "credit note 999 does not exist"),
                          (["pdf", str(note["id"]), "-o", str(out)],
                           "set ARCADIA_SUPPLIER_NAME and ARCADIA_SUPPLIER_ABN"),
                          (["csv", "one"], "a credit note id is a positive whole number")):
        p = cli("credit-note", *args, env={**home, "ARCADIA_SUPPLIER_NAME": "", "ARCADIA_SUPPLIER_ABN": ""},
                check=False)
        assert p.returncode != 0 and message in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


@pytest.fixture
def home(tmp_path, warehouse_url):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {"DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": warehouse_url}
