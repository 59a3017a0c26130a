"""Every invoice and credit note prints, whatever its data: a 100,000-character plan name with
characters outside the font and control characters, an invoice of 500 lines, a stored reason no
API would accept. Read back as a reader would (the PDF's text); totals on the last page."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from arcadia_pipelines.billing.credit_notes import LineCredit
from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.documents.credit_note import load_credit_note_document, render_credit_note_pdf
from arcadia_pipelines.documents.invoice_data import load_invoice_document
from arcadia_pipelines.documents.invoice_pdf import render_invoice_pdf
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import (
    addons,
    credit_notes,
    subscription_addons,
    tenant_invoice_lines,
    tenant_invoices,
)
from arcadia_pipelines_tests.builders import World, rows
from arcadia_pipelines_tests.monthend.rollup import rollup

from .test_invoice_documents import SUPPLIER

ISSUED, CREDITED = datetime(2026, 5, 2, tzinfo=timezone.utc), datetime(2026, 5, 20, tzinfo=timezone.utc)
# storable (no NUL, no lone surrogate), beyond Windows-1252, and control or format characters (printed as ?)
HOSTILE = "Ωmega 😀 bell\x07 esc\x1b tab\t \u202e right-to-left \x7f € “quoted” — "


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def invoice_pdf(engine, invoice_id: int) -> bytes:
    with engine.connect() as c:
        return render_invoice_pdf(load_invoice_document(c, invoice_id), SUPPLIER)


def the_invoice(engine) -> dict:
    [invoice] = rows(engine, tenant_invoices)
    return invoice


def invoiced(engine, issued: bool) -> dict:
    """The month rolled up, its one invoice issued or left a draft."""
    rollup(engine)
    invoice = the_invoice(engine)
    if issued:
        with engine.begin() as c:
            apply_move(c, invoice["id"], "issue", ISSUED)
    return the_invoice(engine)


def assert_totals_on_last_page(text: list[str], invoice: dict) -> None:
    last = text[-1]
    for label, cents in (("Subtotal excluding GST", invoice["subtotal_cents"]), ("GST 10%", invoice["tax_cents"]),
                         ("Total including GST AUD", invoice["total_cents"])):
        assert re.search(rf"{re.escape(label)}\s*{re.escape(format_cents(cents))}", last), (label, last[-400:])
    assert not any("Total including GST" in page for page in text[:-1])


@pytest.mark.parametrize("issued", [False, True], ids=["draft", "issued"])
def test_an_invoice_whose_plan_name_is_100000_characters_of_anything_prints_it_cut(engine, issued):
    w = World(engine)
    name = HOSTILE + "x" * (100_000 - len(HOSTILE))
    w.plan("studio", 5000, meters=[("droplet_hours", "droplet", 1488, 1)], name=name)
    w.addon("storage_50gb", 750, resource_kind="volume").example_tenant("pilot").tax_rate("AU", "0.1", "GST")
    invoice = invoiced(engine, issued)
    text = pages(invoice_pdf(engine, invoice["id"]))
    whole = "\n".join(text)
    words = " ".join(whole.split())  # wherever the lines break
    assert len(text) == 1 and "Plan: Ωmega 😀 bell? esc? tab ? right-to-left ? € “quoted” —" in words
    assert "x" * 40 in whole and "x…" in whole and len(whole) < 5_000  # cut, visibly
    assert "Addon: storage_50gb" in whole and "Overage: droplet_hours" in whole  # the lines after it still print
    assert_totals_on_last_page(text, invoice)


@pytest.mark.parametrize("issued", [False, True], ids=["draft", "issued"])
def test_an_invoice_of_500_lines_continues_on_further_pages_with_headings_and_totals_last(engine, issued):
    World(engine).worked_example("pilot").tax_rate("AU", "0.1", "GST")
    extra = [f"extra_{n:03d}" for n in range(497)]  # + plan, storage and overage lines = 500
    with engine.begin() as c:
        c.execute(sa.insert(addons), [{"code": code, "effective_from": date(2026, 1, 1), "name": code,
                                       "price_cents": 100 + n, "resource_kind": None} for n, code in enumerate(extra)])
        c.execute(sa.insert(subscription_addons), [{"subscription_id": "sub-pilot", "addon_code": code, "quantity": 1}
                                                   for code in extra])
    invoice = invoiced(engine, issued)
    lines = rows(engine, tenant_invoice_lines, invoice_id=invoice["id"])
    assert len([ln for ln in lines if ln["kind"] != "tax"]) == 500
    text = pages(invoice_pdf(engine, invoice["id"]))
    assert len(text) > 5
    assert all("Description" in page and "Unit price AUD" in page and "Amount AUD" in page
               for page in text if "Addon:" in page)  # every page of lines repeats the headings
    whole = "\n".join(text)
    assert all(f"Addon: {code}" in whole for code in extra)
    assert all(f"page {n} of {len(text)}" in page for n, page in enumerate(text, 1))
    assert_totals_on_last_page(text, invoice)
    assert invoice["subtotal_cents"] == sum(ln["amount_cents"] for ln in lines if ln["kind"] != "tax")


def test_a_credit_note_with_a_100000_character_reason_and_description_prints(engine):
    World(engine).worked_example("pilot").tax_rate("AU", "0.1", "GST")
    rollup(engine)
    invoice = the_invoice(engine)
    overage = next(ln for ln in rows(engine, tenant_invoice_lines, invoice_id=invoice["id"]) if ln["kind"] == "overage")
    with engine.begin() as c:
        apply_move(c, invoice["id"], "issue", ISSUED)
        note = create_credit_note(c, invoice["id"], "droplet stopped", [LineCredit(overage["id"], 240)], CREDITED)
        # what an older API, or SQL by hand, may have stored
        c.execute(credit_notes.update().where(credit_notes.c.id == note["id"])
                  .values(reason="r" * 100_000 + HOSTILE))
        c.execute(sa.text("UPDATE credit_note_lines SET description = :d WHERE credit_note_id = :n"),
                  {"d": HOSTILE + "y" * 100_000, "n": note["id"]})
    with engine.connect() as c:
        text = pages(render_credit_note_pdf(load_credit_note_document(c, note["id"]), SUPPLIER))
    whole = "\n".join(text)
    assert "r" * 40 in whole and "r…" in whole and "y…" in whole and "Ωmega 😀 bell?" in whole
    assert re.search(r"Total credited including GST AUD\s*2\.64", text[-1])


def test_text_no_warehouse_can_store_prints_too(engine):
    """A lone surrogate or a NUL (refused by both databases) prints as '?' when a document holds one."""
    World(engine).worked_example("pilot")
    rollup(engine)
    with engine.connect() as c:
        doc = load_invoice_document(c, the_invoice(engine)["id"])
    doc = dataclasses.replace(doc, bill_to_name="Pilot \ud800\x00 Pty", lines=tuple(
        dataclasses.replace(ln, description="Plan \udfff" + "\x00" * 100_000) for ln in doc.lines))
    whole = "\n".join(pages(render_invoice_pdf(doc, SUPPLIER)))
    assert "Pilot ?? Pty" in whole and "Plan\n???" in whole and "?…" in whole
