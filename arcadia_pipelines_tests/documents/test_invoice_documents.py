"""The worked example's invoice as a PDF (read back with pypdf) and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from arcadia_pipelines.documents.invoice_csv import render_invoice_csv
from arcadia_pipelines.documents.invoice_data import load_invoice_document
from arcadia_pipelines.documents.invoice_pdf import DocumentError, render_invoice_pdf
from arcadia_pipelines.documents.supplier import Supplier
from arcadia_pipelines.billing.lifecycle import InvoiceNotFound
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import tenant_invoices, tenants
from arcadia_pipelines_tests.builders import World, rows
from arcadia_pipelines_tests.monthend.rollup import rollup

SUPPLIER = Supplier("Arcadia Cloud Pty Ltd", "Level 1, 2 Market St\nSydney NSW 2000", "12 345 678 901")
ISSUED = datetime(2026, 5, 2, 9, 0, tzinfo=timezone.utc)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def pilot(engine) -> int:
    """The contract's worked example invoiced for April 2026 (a draft); its id."""
    World(engine).worked_example("pilot")
    rollup(engine)
    [invoice] = rows(engine, tenant_invoices, tenant_id="pilot")
    return invoice["id"]


def document(engine, invoice_id, tenant_id=None):
    with engine.connect() as c:
        return load_invoice_document(c, invoice_id, tenant_id)


def test_the_issued_pilot_invoice_is_a_tax_invoice_with_abn_gst_and_total(engine, pilot):
    with engine.begin() as c:
        apply_move(c, pilot, "issue", ISSUED)
    data = render_invoice_pdf(document(engine, pilot), SUPPLIER)
    text = pdf_text(data)
    for expected in ("Tax invoice", "Arcadia Cloud Pty Ltd", "ABN 12 345 678 901", "INV-000001", "2026-05-02",
                     "2026-05-16", "Pilot", "Plan: Studio", "Addon: storage_50gb", "64.22", "GST 10%", "6.42",
                     "Total including GST AUD", "70.64"):
        assert expected in text, expected
    assert "DRAFT" not in text
    assert render_invoice_pdf(document(engine, pilot), SUPPLIER) == data  # same invoice, same bytes


def test_a_draft_says_it_is_not_a_tax_invoice(engine, pilot):
    text = pdf_text(render_invoice_pdf(document(engine, pilot), Supplier(None, None, None)))
    assert "DRAFT - not a tax invoice" in text and "Tax invoice" not in text
    assert "70.64" in text and "(assigned when issued)" in text


def test_from_1000_dollars_the_buyer_is_identified_by_legal_name_and_abn(engine):
    w = World(engine)
    w.plan("studio", 5000, meters=[("droplet_hours", "droplet", 0, 100)]).addon("storage_50gb", 750)
    w.example_tenant("bigco")
    with engine.begin() as c:
        c.execute(sa.update(tenants).where(tenants.c.id == "bigco").values(
            legal_name="Big Co Pty Ltd", tax_id="98 765 432 109", billing_address="5 Pitt St\nSydney NSW 2000"))
    rollup(engine)
    [invoice] = rows(engine, tenant_invoices, tenant_id="bigco")
    assert invoice["total_cents"] >= 100_000
    with engine.begin() as c:
        apply_move(c, invoice["id"], "issue", ISSUED)
    doc = document(engine, invoice["id"])
    assert doc.needs_buyer_identity
    text = pdf_text(render_invoice_pdf(doc, SUPPLIER))
    assert "Big Co Pty Ltd" in text and "ABN 98 765 432 109" in text and "5 Pitt St" in text


def test_a_tax_invoice_without_the_suppliers_abn_is_refused_naming_the_variable(engine, pilot):
    with engine.begin() as c:
        apply_move(c, pilot, "issue", ISSUED)
    with pytest.raises(DocumentError, match="set ARCADIA_SUPPLIER_ABN to print it"):
        render_invoice_pdf(document(engine, pilot), Supplier("Arcadia Cloud Pty Ltd", None, None))


def test_csv_has_every_line_with_exact_amounts_and_another_tenants_invoice_is_not_found(engine, pilot):
    with engine.begin() as c:
        apply_move(c, pilot, "issue", ISSUED)
    table = list(csv.DictReader(io.StringIO(render_invoice_csv(document(engine, pilot, "pilot")))))
    assert [(r["kind"], r["amount"], r["amount_cents"]) for r in table] == [
        ("plan_base", "50.00", "5000"), ("addon", "7.50", "750"), ("overage", "6.72", "672"), ("tax", "6.42", "642")]
    assert {(r["number"], r["due_date"], r["invoice_total_cents"]) for r in table} == {("INV-000001", "2026-05-16",
                                                                                        "7064")}
    with pytest.raises(InvoiceNotFound):
        document(engine, pilot, "someone-else")
