"""Invoice PDFs and CSVs over HTTP, scoped like the invoice, and the events feed: ordered, scoped, and
polled while moves happen, every event exactly once."""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import datetime, timezone

import sqlalchemy as sa
from pypdf import PdfReader

from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import invoice_events

SUPPLIER = {"ARCADIA_SUPPLIER_NAME": "Arcadia Cloud Pty Ltd", "ARCADIA_SUPPLIER_ABN": "12 345 678 901",
            "ARCADIA_SUPPLIER_ADDRESS": "Level 1, 2 Market St | Sydney NSW 2000"}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_documents_are_scoped_like_the_invoice(api, ledger, keys, monkeypatch):
    for name, value in SUPPLIER.items():
        monkeypatch.setenv(name, value)
    mine, theirs = ledger.invoice("acme"), ledger.invoice("globex")
    for fmt in ("pdf", "csv"):
        assert api.get(f"/api/v1/invoices/{mine}/{fmt}").status_code == 401
        assert api.get(f"/api/v1/invoices/{mine}/{fmt}", "not-a-key").status_code == 401
        assert api.get(f"/api/v1/invoices/{theirs}/{fmt}", keys["acme"]).status_code == 404
        assert api.get(f"/api/v1/invoices/99999/{fmt}", keys["admin"]).status_code == 404
        assert api.get(f"/api/v1/invoices/x1/{fmt}", keys["admin"]).status_code == 404
    draft = api.get(f"/api/v1/invoices/{mine}/pdf", keys["acme"])
    assert draft.status_code == 200 and draft.headers["content-type"] == "application/pdf"
    assert "DRAFT - not a tax invoice" in pdf_text(draft.content)
    assert draft.headers["content-disposition"] == f'attachment; filename="invoice-{mine}-draft.pdf"'
    assert api.post(f"/api/v1/invoices/{mine}/issue", keys["admin"]).status_code == 200
    issued = api.get(f"/api/v1/invoices/{mine}/pdf", keys["acme"])
    text = pdf_text(issued.content)
    assert "Tax invoice" in text and "ABN 12 345 678 901" in text and "INV-000001" in text and "70.64" in text
    assert "Sydney NSW 2000" in text
    table = api.get(f"/api/v1/invoices/{mine}/csv", keys["admin"])
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    assert table.headers["content-disposition"] == 'attachment; filename="INV-000001.csv"'
    lines = list(csv.DictReader(io.StringIO(table.text)))
    assert [(r["line_no"], r["amount_cents"]) for r in lines] == [("1", "5000"), ("2", "1422"), ("3", "642")]


def test_a_tax_invoice_without_supplier_configuration_is_503_naming_the_variables(api, ledger, keys, monkeypatch):
    for name in SUPPLIER:
        monkeypatch.delenv(name, raising=False)
    invoice = ledger.invoice("acme")
    api.post(f"/api/v1/invoices/{invoice}/issue", keys["admin"])
    r = api.get(f"/api/v1/invoices/{invoice}/pdf", keys["admin"])
    assert r.status_code == 503
    assert r.json()["error"]["message"] == (f"invoice {invoice} is a tax invoice: set ARCADIA_SUPPLIER_NAME and "
                                            "ARCADIA_SUPPLIER_ABN to print it")


def test_events_are_in_order_scoped_to_the_tenant_and_paged_by_cursor(api, ledger, keys):
    a1, g1, a2 = ledger.invoice("acme", "2026-03"), ledger.invoice("globex"), ledger.invoice("acme")
    for invoice_id, move in ((a1, "issue"), (g1, "issue"), (a1, "pay"), (a2, "void")):
        assert api.post(f"/api/v1/invoices/{invoice_id}/{move}", keys["admin"]).status_code == 200
    assert api.get("/api/v1/events").status_code == 401
    everything = api.get("/api/v1/events", keys["admin"]).json()
    assert [(e["invoice_id"], e["kind"], e["status"], e["number"]) for e in everything["data"]] == [
        (a1, "issued", "issued", "INV-000001"), (g1, "issued", "issued", "INV-000002"),
        (a1, "paid", "paid", "INV-000001"), (a2, "voided", "void", None)]
    assert everything["data"][0]["total_cents"] == 7064 and everything["data"][0]["occurred_at"].endswith("Z")
    acme = api.get("/api/v1/events", keys["acme"]).json()["data"]
    assert {e["tenant_id"] for e in acme} == {"acme"} and len(acme) == 3
    first = api.get("/api/v1/events", keys["admin"], limit="2").json()
    assert len(first["data"]) == 2 and first["has_more"]
    rest = api.get("/api/v1/events", keys["admin"], after=first["next_cursor"]).json()
    assert [e["event_id"] for e in first["data"] + rest["data"]] == [e["event_id"] for e in everything["data"]]
    assert not rest["has_more"]
    idle = api.get("/api/v1/events", keys["admin"], after=rest["next_cursor"]).json()
    assert idle == {"data": [], "next_cursor": rest["next_cursor"], "has_more": False}
    for bad in ({"after": "nonsense"}, {"limit": "0"}, {"since": "1"}):
        r = api.get("/api/v1/events", keys["admin"], **bad)
        assert r.status_code == 400 and r.json()["error"]["code"] in ("invalid_cursor", "invalid_parameter")


def test_polling_while_moves_commit_sees_every_event_exactly_once(api, engine, ledger, keys):
    tenants = [ledger.tenant(f"t{n}") for n in range(4)]
    drafts = {t: [ledger.invoice(t, f"2025-{m:02d}") for m in range(1, 9)] for t in tenants}
    done = threading.Event()
    errors = []

    def writer(tenant):
        try:
            for invoice_id in drafts[tenant]:
                for move in ("issue", "pay"):
                    with engine.begin() as c:
                        apply_move(c, invoice_id, move, datetime.now(timezone.utc))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    writers = [threading.Thread(target=writer, args=(t,)) for t in tenants]
    for w in writers:
        w.start()
    threading.Thread(target=lambda: ([w.join() for w in writers], done.set()), daemon=True).start()
    seen, cursor = [], None
    while True:
        finished = done.is_set()  # read before polling: a poll after the last commit ends the loop
        page = api.get("/api/v1/events", keys["admin"], limit="5", **({"after": cursor} if cursor else {})).json()
        seen += [e["event_id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if finished and not page["has_more"] and not page["data"]:
            break
    assert errors == []
    with engine.connect() as c:
        stored = list(c.scalars(sa.select(invoice_events.c.id).order_by(invoice_events.c.id)))
    assert len(stored) == 4 * 8 * 2
    assert seen == stored  # each once, in order, none skipped


def test_fifty_concurrent_issues_through_the_api_number_1_to_50(api, engine, ledger, keys):
    """As a finance tool would: retrying a 503 `busy` after its Retry-After."""
    drafts = [ledger.invoice("acme", f"{2020 + n // 12}-{n % 12 + 1:02d}") for n in range(50)]
    start, answers = threading.Barrier(50), {}

    def issue(invoice_id):
        start.wait()
        while (r := api.post(f"/api/v1/invoices/{invoice_id}/issue", keys["admin"])).status_code == 503:
            time.sleep(float(r.headers["retry-after"]) / 4)
        answers[invoice_id] = r

    threads = [threading.Thread(target=issue, args=(d,)) for d in drafts]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert {r.status_code for r in answers.values()} == {200} and len(answers) == 50
    numbers = sorted(r.json()["data"]["number"] for r in answers.values())
    assert numbers == [f"INV-{n:06d}" for n in range(1, 51)]
    with engine.connect() as c:
        assert list(c.scalars(sa.select(invoice_events.c.number).order_by(invoice_events.c.id))) == numbers
