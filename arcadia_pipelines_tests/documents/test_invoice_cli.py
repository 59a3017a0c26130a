"""`arcadia-pipelines invoice pdf|csv` as a subprocess."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import tenant_invoices
from arcadia_pipelines_tests.builders import World, rows
from arcadia_pipelines_tests.monthend.rollup import rollup
from arcadia_pipelines_tests.test_cli import cli, home  # noqa: F401 - the fixture

from .test_invoice_documents import pdf_text

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess

SUPPLIER = {"ARCADIA_SUPPLIER_NAME": "Arcadia Cloud Pty Ltd", "ARCADIA_SUPPLIER_ABN": "12 345 678 901"}


def test_invoice_pdf_and_csv_write_the_issued_pilot_invoice(engine, home, tmp_path):  # noqa: F811
    World(engine).worked_example("pilot")
    rollup(engine)
    [invoice] = rows(engine, tenant_invoices)
    with engine.begin() as c:
        apply_move(c, invoice["id"], "issue", datetime(2026, 5, 2, tzinfo=timezone.utc))
    out = tmp_path / "INV-000001.pdf"
    p = cli("invoice", "pdf", str(invoice["id"]), "-o", str(out), env={**home, **SUPPLIER})
    assert f"wrote {out}" in p.stderr
    text = pdf_text(out.read_bytes())
    assert all(s in text for s in ("Tax invoice", "ABN 12 345 678 901", "64.22", "6.42", "70.64"))
    table = cli("invoice", "csv", str(invoice["id"]), "-o", "-", env=home).stdout  # stdout: -o -
    assert table.splitlines()[0].startswith("invoice_id,number,") and ",INV-000001," in table


def test_invoice_errors_are_one_line(engine, home, tmp_path):  # noqa: F811
    World(engine).worked_example("pilot")
    rollup(engine)
    [invoice] = rows(engine, tenant_invoices)
    with engine.begin() as c:
        apply_move(c, invoice["id"], "issue", datetime(2026, 5, 2, tzinfo=timezone.utc))
    env = {**home, "ARCADIA_SUPPLIER_NAME": "", "ARCADIA_SUPPLIER_ABN": ""}
    for args, message in (
            (["pdf", "999", "-o", str(tmp_path / "x.pdf")], "invoice 999 does not exist"),
            (["pdf", str(invoice["id"]), "-o", str(tmp_path / "x.pdf")],
             "is a tax invoice: set ARCADIA_SUPPLIER_NAME and ARCADIA_SUPPLIER_ABN to print it"),
            (["csv", "one"], "an invoice id is a positive whole number")):
        p = cli("invoice", *args, env=env, check=False)
        assert p.returncode != 0 and message in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
