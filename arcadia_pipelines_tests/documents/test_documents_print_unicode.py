"""A tenant, a plan and a reason in any language print as written on the invoice and the credit
note (read back from the PDF as a reader's tool reads it); characters the font has no glyph for
(CJK, some emoji) print as a visible '?' and never stop a document."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from arcadia_pipelines.billing.credit_notes import LineCredit
from arcadia_pipelines.documents.credit_note import load_credit_note_document, render_credit_note_pdf
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import tenant_invoice_lines, tenants
from arcadia_pipelines_tests.builders import World, rows

from arcadia_pipelines_tests.monthend.rollup import rollup

from .test_every_document_renders import CREDITED, ISSUED, invoice_pdf, pages, the_invoice
from .test_invoice_documents import SUPPLIER

TENANT = "Łódź Ōkami Ελληνικά Кирилл"
ADDRESS = "ul. Piotrkowska 1\n90-001 Łódź, Polska"
PLAN = "Πλάνο Студия Ærø Šťastný ğış"
REASON = "Επιστροφή: сервер остановлен, přeplatek vrácen"


def issued_invoice_and_note(engine, tenant: str, address: str, plan: str, reason: str) -> tuple[bytes, bytes]:
    """The worked example with these names, issued, and a credit note on its overage line."""
    w = World(engine)
    w.plan("studio", 5000, meters=[("droplet_hours", "droplet", 1488, 1)], name=plan)
    w.addon("storage_50gb", 750, resource_kind="volume").example_tenant("pilot").tax_rate("AU", "0.1", "GST")
    with engine.begin() as c:
        c.execute(tenants.update().where(tenants.c.id == "pilot").values(name=tenant, billing_address=address))
    rollup(engine)
    invoice = the_invoice(engine)
    overage = next(ln for ln in rows(engine, tenant_invoice_lines, invoice_id=invoice["id"]) if ln["kind"] == "overage")
    with engine.begin() as c:
        apply_move(c, invoice["id"], "issue", ISSUED)
        note = create_credit_note(c, invoice["id"], reason, [LineCredit(overage["id"], 240)], CREDITED)
    with engine.connect() as c:
        note_pdf = render_credit_note_pdf(load_credit_note_document(c, note["id"]), SUPPLIER)
    return invoice_pdf(engine, invoice["id"]), note_pdf


def test_latin_extended_greek_and_cyrillic_names_print_exactly_on_the_invoice_and_the_credit_note(engine):
    invoice, note = issued_invoice_and_note(engine, TENANT, ADDRESS, PLAN, REASON)
    invoice_text, note_text = "\n".join(pages(invoice)), "\n".join(pages(note))
    for line in (TENANT, *ADDRESS.splitlines(), f"Plan: {PLAN}"):
        assert re.search(rf"^{re.escape(line)}( |$)", invoice_text, re.M), (line, invoice_text)
    for line in (TENANT, *ADDRESS.splitlines(), f"Reason {REASON}"):
        assert re.search(rf"^{re.escape(line)}$", note_text, re.M), (line, note_text)
    assert "?" not in invoice_text + note_text
    assert re.search(r"Total including GST AUD\s*70\.64", invoice_text)
    assert re.search(r"Total credited including GST AUD\s*2\.64", note_text)


def test_cjk_and_emoji_print_and_what_the_font_lacks_is_a_visible_question_mark(engine):
    tenant, plan = "株式会社アルカディア Ōkami 😀", "中文计划 ｐｒｏ 🦄 Ω"
    # DejaVu draws 😀, not 🙂
    invoice, note = issued_invoice_and_note(engine, tenant, "東京都 1-2-3\nTokyo", plan, "返金 🙂 refund")
    invoice_text, note_text = "\n".join(pages(invoice)), "\n".join(pages(note))
    for text in (invoice_text, note_text):
        assert "?????????? Ōkami 😀" in text  # 10 CJK characters, each a '?'; the emoji DejaVu draws prints
        assert "??? 1-2-3\nTokyo" in text
    assert "Plan: ???? pro ? Ω" in invoice_text  # fullwidth 'ｐｒｏ' as 'pro', the unicorn as '?'
    assert "Reason ?? ? refund" in note_text
    assert re.search(r"Total including GST AUD\s*70\.64", invoice_text)
    assert re.search(r"Total credited including GST AUD\s*2\.64", note_text)


def test_a_pip_install_carries_the_font_and_its_licence():
    """pyproject.toml's package data names every file in documents/fonts/ (a wheel built without
    them would fail on its first document)."""
    repo = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["arcadia_pipelines.documents"]
    package = repo / "arcadia_pipelines" / "documents"
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    assert {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"} <= {path.name for path in shipped}
    assert set((package / "fonts").iterdir()) <= shipped
