"""Finance names invoices and credit notes by number: every CLI verb that takes an id also takes the
number (`INV-000001`, `CN-000001`), found exactly, and documents are named after it by default."""

from __future__ import annotations

import pytest

from arcadia_pipelines.warehouse.schema import tenant_invoices
from arcadia_pipelines_tests.builders import rows
from arcadia_pipelines_tests.documents.test_credit_note_documents import SUPPLIER, note  # noqa: F401
from arcadia_pipelines_tests.documents.test_invoice_documents import pdf_text
from arcadia_pipelines_tests.test_cli import cli, home  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture
def invoices(engine, note) -> dict:  # noqa: F811
    """pilot's invoice issued as INV-000001 (credited as CN-000001), other's still a draft."""
    return {i["tenant_id"]: i for i in rows(engine, tenant_invoices)}


@pytest.fixture
def folder(tmp_path):
    """Where the user runs the CLI (DAGSTER_HOME is tmp_path itself)."""
    (tmp_path / "cwd").mkdir()
    return tmp_path / "cwd"


def test_invoice_documents_by_number_are_named_after_it(invoices, home, folder):  # noqa: F811
    env = {**home, **SUPPLIER}
    p = cli("invoice", "pdf", "INV-000001", env=env, cwd=folder)
    assert p.stderr.startswith("wrote INV-000001.pdf (")
    text = pdf_text((folder / "INV-000001.pdf").read_bytes())
    assert "Tax invoice" in text and "INV-000001" in text and "Pilot Pty Ltd" in text
    cli("invoice", "csv", "INV-000001", env=env, cwd=folder)
    table = (folder / "INV-000001.csv").read_text()
    assert f"{invoices['pilot']['id']},INV-000001," in table and ",pilot," in table
    assert ",INV-000001," in cli("invoice", "csv", "INV-000001", "-o", "-", env=env).stdout
    draft = invoices["other"]["id"]
    p = cli("invoice", "pdf", str(draft), env=env, cwd=folder)      # a draft has no number: its id
    assert p.stderr.startswith(f"wrote draft-{draft}.pdf (")
    assert "not a tax invoice" in pdf_text((folder / f"draft-{draft}.pdf").read_bytes()).lower()


def test_credit_notes_and_explain_take_numbers(invoices, note, home, folder):  # noqa: F811
    p = cli("credit-note", "csv", "CN-000001", env=home, cwd=folder)
    assert p.stderr.startswith("wrote CN-000001.csv (")
    assert f"{note['id']},CN-000001," in (folder / "CN-000001.csv").read_text()
    pilot = invoices["pilot"]["id"]
    by_number = cli("credit-note", "suggest", "INV-000001", env=home).stdout
    assert by_number == cli("credit-note", "suggest", str(pilot), env=home).stdout
    assert by_number.startswith(f"invoice {pilot} (INV-000001, pilot, 2026-04)")
    explained = cli("explain", "INV-000001", env=home).stdout
    assert explained.splitlines()[0] == f"Invoice {pilot} INV-000001 (issued): pilot, 2026-04, AUD"
    assert explained == cli("explain", str(pilot), env=home).stdout


@pytest.mark.parametrize("args, code, line", [
    (["invoice", "pdf", "INV-000009"], 1,
     "arcadia-pipelines invoice pdf: error: no invoice numbered INV-000009 (is ARCADIA_WAREHOUSE_URL the warehouse "
     "you meant?)"),
    (["explain", "INV-1"], 1,          # exact: not the number INV-000001
     "arcadia-pipelines explain: error: no invoice numbered INV-1 (is ARCADIA_WAREHOUSE_URL the warehouse you meant?)"),
    (["credit-note", "pdf", "CN-000002"], 1,
     "arcadia-pipelines credit-note pdf: error: no credit note numbered CN-000002 (is ARCADIA_WAREHOUSE_URL the "
     "warehouse you meant?)"),
    (["credit-note", "suggest", "CN-000001"], 2,
     "arcadia-pipelines credit-note suggest: error: argument NUMBER|ID: an invoice id is a positive whole number, "
     "or give its number (INV-000001), got 'CN-000001'; see 'arcadia-pipelines credit-note suggest --help'"),
    (["invoice", "csv", "inv-000001"], 2,
     "arcadia-pipelines invoice csv: error: argument NUMBER|ID: an invoice id is a positive whole number, "
     "or give its number (INV-000001), got 'inv-000001'; see 'arcadia-pipelines invoice csv --help'"),
])
def test_an_unknown_or_malformed_number_is_one_line(invoices, home, folder, args, code, line):  # noqa: F811
    p = cli(*args, env=home, cwd=folder, check=False)
    assert (p.returncode, p.stderr, p.stdout) == (code, line + "\n", "")
    assert list(folder.iterdir()) == []   # nothing written
