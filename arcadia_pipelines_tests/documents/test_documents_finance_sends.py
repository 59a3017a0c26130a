"""What a finance team sends, read back from the PDFs the API serves: unit prices in the invoice's
currency (exact, fractions of a cent included), the paid date of a paid invoice, and the payment
instructions and contact configured in the environment, on invoices and credit notes alike."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from arcadia_pipelines.api.keys import create_key
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import tenant_invoice_lines, tenant_invoices
from arcadia_pipelines_tests.api.conftest import serve
from arcadia_pipelines_tests.builders import World, rows
from arcadia_pipelines_tests.monthend.rollup import rollup

from .test_credit_note_documents import SUPPLIER
from .test_invoice_documents import pdf_text

ISSUED, PAID = datetime(2026, 5, 2, tzinfo=timezone.utc), datetime(2026, 5, 11, 23, 30, tzinfo=timezone.utc)
CREDITED = datetime(2026, 5, 20, tzinfo=timezone.utc)
CONFIGURED = {**SUPPLIER,
              "ARCADIA_PAYMENT_INSTRUCTIONS": "BSB 062-000, account 1234 5678 | Reference: the invoice number",
              "ARCADIA_SUPPLIER_CONTACT": "accounts@arcadia.example, +61 2 9000 0000"}


def test_a_paid_invoice_and_its_credit_note_as_the_customer_gets_them(engine, monkeypatch):
    w = World(engine)
    w.plan("studio", 5000, meters=[("droplet_hours", "droplet", 1488, "0.125")])  # an eighth of a cent an hour
    w.addon("storage_50gb", 750, resource_kind="volume").example_tenant("pilot")
    rollup(engine)
    [invoice] = rows(engine, tenant_invoices)
    overage = next(ln for ln in rows(engine, tenant_invoice_lines, invoice_id=invoice["id"]) if ln["kind"] == "overage")
    assert overage["amount_cents"] == 84  # 672 hours x 0.125 cents
    with engine.begin() as c:
        apply_move(c, invoice["id"], "issue", ISSUED)
        apply_move(c, invoice["id"], "pay", PAID)
        note = create_credit_note(c, invoice["id"], "storage unused in April", None, CREDITED)
    for name, value in CONFIGURED.items():
        monkeypatch.setenv(name, value)
    admin = create_key(engine, "platform_admin")[1]
    with serve(engine) as api:
        invoice_pdf = pdf_text(api.get(f"/api/v1/invoices/{invoice['id']}/pdf", admin).content)
        note_pdf = pdf_text(api.get(f"/api/v1/credit_notes/{note['id']}/pdf", admin).content)
        for name in ("ARCADIA_PAYMENT_INSTRUCTIONS", "ARCADIA_SUPPLIER_CONTACT"):
            monkeypatch.delenv(name)
        plain = pdf_text(api.get(f"/api/v1/invoices/{invoice['id']}/pdf", admin).content)

    assert "Quantity Unit price AUD Amount AUD" in invoice_pdf and "cents" not in invoice_pdf
    for line in ("Plan: Studio (full month) 1 50.00 50.00", "Addon: storage_50gb 1 7.50 7.50",
                 "Overage: droplet_hours (2160 used, 1488 included) 672 0.00125 0.84"):
        assert line in invoice_pdf, (line, invoice_pdf)
    assert "PAID" in invoice_pdf and "Paid on 2026-05-11" in invoice_pdf
    assert re.search(r"Total including GST AUD\s*64\.17", invoice_pdf)
    for text in (invoice_pdf, note_pdf):
        assert "Payment BSB 062-000, account 1234 5678\nReference: the invoice number" in text, text
        assert "Contact accounts@arcadia.example, +61 2 9000 0000" in text
    assert re.search(r"Total credited including GST AUD\s*64\.17", note_pdf)
    assert "Payment" not in plain and "Contact" not in plain and "Paid on 2026-05-11" in plain
