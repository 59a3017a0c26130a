"""Credit notes through the real API on both backends: who may make and see them, what they may
credit, the tax they carry, the invoice's balance, and concurrent notes that cannot over-credit."""

from __future__ import annotations

import threading

import httpx
import jsonschema
import pytest
import sqlalchemy as sa

from arcadia_pipelines.api.keys import revoke_key
from arcadia_pipelines.warehouse.schema import (
    credit_note_lines,
    credit_notes,
    invoice_events,
    tenant_invoices,
)

from .test_locks import assert_busy, invoice_held, timed


def notes_url(invoice_id) -> str:
    return f"/api/v1/invoices/{invoice_id}/credit_notes"


def post(api, invoice_id, key, body=None, **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if body is not None:
        kw["json"] = body
    return api.http.post(notes_url(invoice_id), headers=headers, **kw)


def line_ids(api, key, invoice_id) -> dict[str, int]:
    """{kind: line id} of the invoice."""
    return {ln["kind"]: ln["id"] for ln in api.get(f"/api/v1/invoices/{invoice_id}", key).json()["data"]["lines"]}


def stored(engine) -> tuple[list[dict], list[dict], list[dict]]:
    with engine.connect() as c:
        return ([r._asdict() for r in c.execute(sa.select(credit_notes).order_by(credit_notes.c.id))],
                [r._asdict() for r in c.execute(sa.select(credit_note_lines).order_by(credit_note_lines.c.id))],
                [r._asdict() for r in c.execute(sa.select(invoice_events).where(invoice_events.c.kind == "credited")
                                                .order_by(invoice_events.c.id))])


def error(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def test_who_may_credit_and_see_notes(api, engine, ledger, keys):
    mine = ledger.invoice("acme", status="issued")
    theirs = ledger.invoice("globex", status="issued")
    their_plan = line_ids(api, keys["admin"], theirs)["plan_base"]
    body = {"reason": "duplicate"}
    assert error(post(api, mine, None, body)) == (401, "unauthenticated")
    assert error(post(api, mine, "ak_not-a-key", body)) == (401, "unauthenticated")
    assert error(post(api, mine, keys["acme"], body)) == (403, "forbidden")  # even its own invoice
    assert error(post(api, 424242, keys["admin"], body)) == (404, "not_found")
    assert error(post(api, "abc", keys["admin"], body)) == (404, "not_found")
    r = post(api, mine, keys["admin"], {"reason": "r", "lines": [{"line_id": their_plan, "amount_cents": 100}]})
    assert error(r) == (404, "not_found") and f"no creditable line {their_plan}" in r.json()["error"]["message"]
    tax_line = line_ids(api, keys["admin"], mine)["tax"]
    r = post(api, mine, keys["admin"], {"reason": "r", "lines": [{"line_id": tax_line, "amount_cents": 1}]})
    assert error(r) == (404, "not_found") and "tax lines are not chosen" in r.json()["error"]["message"]
    assert stored(engine) == ([], [], [])

    made = post(api, mine, keys["admin"], body)
    assert made.status_code == 201, made.text
    note = made.json()["data"]
    assert api.get(notes_url(mine), keys["acme"]).json()["data"] == [note]
    assert api.get(notes_url(mine), keys["admin"]).json()["data"] == [note]
    assert api.get(f"/api/v1/credit_notes/{note['id']}", keys["acme"]).json()["data"] == note
    for path in (notes_url(mine), f"/api/v1/credit_notes/{note['id']}"):
        assert error(api.get(path, keys["globex"])) == (404, "not_found")  # never revealed
        assert error(api.get(path)) == (401, "unauthenticated")
    assert api.get(notes_url(theirs), keys["globex"]).json()["data"] == []
    assert error(api.get(notes_url(424242), keys["admin"])) == (404, "not_found")
    assert error(api.get("/api/v1/credit_notes/0", keys["admin"])) == (404, "not_found")
    with engine.connect() as c:
        acme_key = c.scalar(sa.text("SELECT id FROM api_keys WHERE tenant_id = 'acme'"))
    revoke_key(engine, acme_key)
    assert error(api.get(notes_url(mine), keys["acme"])) == (401, "unauthenticated")


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"reason": "r", "lines": [{"line_id": 1, "amount_cents": NaN}]}', b"[" * 5000,
    b'{"reason": "r", "lines": [{"line_id": 1, "amount_cents": 1e400}]}',
    {"lines": None}, {"reason": ""}, {"reason": "   "}, {"reason": 5}, {"reason": "r", "extra": 1},
    {"reason": "r", "lines": []}, {"reason": "r", "lines": {}}, {"reason": "r", "lines": [5]},
    {"reason": "r", "lines": [{"line_id": 1}]}, {"reason": "r", "lines": [{"line_id": "1", "amount_cents": 1}]},
    {"reason": "r", "lines": [{"line_id": 0, "amount_cents": 1}]},
    {"reason": "r", "lines": [{"line_id": 1, "amount_cents": 1, "note": "x"}]},
    *({"reason": "r", "lines": [{"line_id": "PLAN", "amount_cents": amount}]}
      for amount in (0, -5, 1.5, 100.5, "100", True, None, 10**13, 1e13)),
    {"reason": "r", "lines": [{"line_id": "PLAN", "amount_cents": 1}, {"line_id": "PLAN", "amount_cents": 1}]},
    {"reason": "r", "purpose": "refund"}, {"reason": "r", "purpose": None}, {"reason": "r", "purpose": ["goodwill"]},
])
def test_malformed_bodies_are_400_and_change_nothing(api, engine, ledger, keys, body):
    invoice_id = ledger.invoice("acme", status="issued")
    plan = line_ids(api, keys["admin"], invoice_id)["plan_base"]
    if isinstance(body, bytes):
        r = post(api, invoice_id, keys["admin"], content=body)
    else:
        lines = body.get("lines")
        if isinstance(lines, list):
            body = {**body, "lines": [{**ln, "line_id": plan} if isinstance(ln, dict) and ln.get("line_id") == "PLAN"
                                      else ln for ln in lines]}
        r = post(api, invoice_id, keys["admin"], body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] in ("invalid_json", "invalid_credit_note")
    assert stored(engine) == ([], [], [])


def test_a_body_over_64_kib_is_refused(api, ledger, keys):
    invoice_id = ledger.invoice("acme", status="issued")
    r = post(api, invoice_id, keys["admin"], {"reason": "x" * 70_000})
    assert error(r) == (413, "payload_too_large")


def test_full_credit_without_lines_zeroes_the_balance_and_keeps_the_invoice(api, engine, ledger, keys):
    invoice_id = ledger.invoice("acme", status="issued")
    with engine.connect() as c:
        before = c.execute(sa.select(tenant_invoices).where(tenant_invoices.c.id == invoice_id)).one()._asdict()
    r = post(api, invoice_id, keys["admin"], {"reason": "tenant cancelled in week one"})
    assert r.status_code == 201, r.text
    note = r.json()["data"]
    assert {k: note[k] for k in ("number", "invoice_id", "tenant_id", "reason", "purpose", "currency",
                                 "subtotal_cents", "tax_cents", "total_cents", "tax_name", "tax_rate")} == {
        "number": "CN-000001", "invoice_id": invoice_id, "tenant_id": "acme", "reason": "tenant cancelled in week one",
        "purpose": "correction", "currency": "AUD", "subtotal_cents": 6422, "tax_cents": 642, "total_cents": 7064, "tax_name": "GST",
        "tax_rate": "0.1"}
    assert [(ln["line_no"], ln["amount_cents"]) for ln in note["lines"]] == [(1, 5000), (2, 1422)]
    invoice = api.get(f"/api/v1/invoices/{invoice_id}", keys["acme"]).json()["data"]
    assert (invoice["total_cents"], invoice["credited_cents"], invoice["balance_cents"]) == (7064, 7064, 0)
    assert invoice["status"] == "issued"
    with engine.connect() as c:
        after = c.execute(sa.select(tenant_invoices).where(tenant_invoices.c.id == invoice_id)).one()._asdict()
    assert after == before  # invoices keep their amounts, status and timestamps
    again = post(api, invoice_id, keys["admin"], {"reason": "again"})
    assert error(again) == (409, "over_credit") and "fully credited" in again.json()["error"]["message"]
    notes, lines, events = stored(engine)
    assert len(notes) == 1 and len(lines) == 2
    assert [(e["invoice_id"], e["credit_note_id"], e["tenant_id"], e["status"], e["total_cents"]) for e in events] == [
        (invoice_id, note["id"], "acme", "issued", 7064)]
    feed = api.get("/api/v1/events", keys["acme"]).json()["data"]  # what a finance system polls
    assert [(e["kind"], e["credit_note_id"]) for e in feed if e["invoice_id"] == invoice_id][-1] == ("credited",
                                                                                                     note["id"])


def test_partial_credits_by_line_never_exceed_a_line_or_the_invoice_across_notes(api, engine, ledger, keys):
    invoice_id = ledger.invoice("acme", status="paid")
    ids = line_ids(api, keys["admin"], invoice_id)
    plan, overage = ids["plan_base"], ids["overage"]

    def credit(*pairs):
        return post(api, invoice_id, keys["admin"],
                    {"reason": "meter fix", "lines": [{"line_id": i, "amount_cents": a} for i, a in pairs]})

    first = credit((plan, 3000))
    assert first.status_code == 201 and (first.json()["data"]["subtotal_cents"], first.json()["data"]["tax_cents"]) \
        == (3000, 300)
    over_line = credit((plan, 2001))
    assert error(over_line) == (409, "over_credit")
    assert "has 2000 cents left to credit of 5000; asked 2001" in over_line.json()["error"]["message"]
    assert error(credit((overage, 100), (plan, 2001))) == (409, "over_credit")  # all or nothing
    balance = api.get("/api/v1/invoices", keys["acme"]).json()["data"][0]
    assert (balance["credited_cents"], balance["balance_cents"]) == (3300, 7064 - 3300)
    last = credit((overage, 1422), (plan, 2000))
    assert last.status_code == 201
    assert [(ln["line_no"], ln["invoice_line_id"]) for ln in last.json()["data"]["lines"]] == [(1, plan), (2, overage)]
    assert (last.json()["data"]["tax_cents"], last.json()["data"]["number"]) == (342, "CN-000002")  # no gap
    assert error(credit((overage, 1))) == (409, "over_credit")
    assert error(post(api, invoice_id, keys["admin"], {"reason": "everything"})) == (409, "over_credit")
    invoice = api.get(f"/api/v1/invoices/{invoice_id}", keys["admin"]).json()["data"]
    assert (invoice["credited_cents"], invoice["balance_cents"]) == (7064, 0)
    notes, _, events = stored(engine)
    assert sum(n["total_cents"] for n in notes) == 7064 and sum(n["tax_cents"] for n in notes) == 642
    assert len(events) == 2


def test_tax_is_rounded_half_up_once_per_note(api, ledger, keys):
    invoice_id = ledger.invoice("acme", status="issued")
    overage = line_ids(api, keys["admin"], invoice_id)["overage"]
    taxes = [post(api, invoice_id, keys["admin"], {"reason": "r", "lines": [{"line_id": overage, "amount_cents": a}]})
             .json()["data"]["tax_cents"] for a in (5, 14, 15, 25)]
    assert taxes == [1, 1, 2, 3]  # 0.5 -> 1, 1.4 -> 1, 1.5 -> 2, 2.5 -> 3: each note on its own


def test_a_credited_invoice_cannot_be_voided(api, engine, ledger, keys):
    invoice_id = ledger.invoice("acme", status="issued")
    assert post(api, invoice_id, keys["admin"], {"reason": "goodwill"}).status_code == 201
    r = api.post(f"/api/v1/invoices/{invoice_id}/void", keys["admin"])
    assert r.status_code == 409 and "has credit notes" in r.json()["error"]["message"]
    assert api.get(f"/api/v1/invoices/{invoice_id}", keys["admin"]).json()["data"]["status"] == "issued"


@pytest.mark.parametrize("status", ["draft", "void"])
def test_drafts_and_void_invoices_cannot_be_credited(api, engine, ledger, keys, status):
    invoice_id = ledger.invoice("acme", status=status)
    r = post(api, invoice_id, keys["admin"], {"reason": "r"})
    assert error(r) == (409, "not_creditable") and f"is {status}" in r.json()["error"]["message"]
    assert stored(engine) == ([], [], [])
    invoice = api.get(f"/api/v1/invoices/{invoice_id}", keys["admin"]).json()["data"]
    assert (invoice["credited_cents"], invoice["balance_cents"]) == (0, invoice["total_cents"])


def test_concurrent_notes_on_one_invoice_never_exceed_its_total(api, engine, ledger, keys):
    """20 attempts at once, each crediting about 40% of every line: two fit, the others are refused."""
    invoice_id = ledger.invoice("acme", status="issued")
    ids = line_ids(api, keys["admin"], invoice_id)
    body = {"reason": "race", "lines": [{"line_id": ids["plan_base"], "amount_cents": 2000},
                                        {"line_id": ids["overage"], "amount_cents": 569}]}
    barrier = threading.Barrier(20)
    results: list = [None] * 20

    def fire(n: int):
        with httpx.Client(base_url=api.base_url, timeout=60) as client:
            barrier.wait()
            results[n] = client.post(notes_url(invoice_id), json=body,
                                     headers={"Authorization": f"Bearer {keys['admin']}"})

    threads = [threading.Thread(target=fire, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    codes = sorted(r.status_code for r in results)
    assert set(codes) <= {201, 409, 503}, [r.text for r in results if r.status_code not in (201, 409, 503)]
    assert codes.count(201) == 2 or (codes.count(201) < 2 and 503 in codes), codes
    notes, lines, _ = stored(engine)
    assert len(notes) == codes.count(201) and sum(n["total_cents"] for n in notes) <= 7064
    per_line = {}
    for ln in lines:
        per_line[ln["invoice_line_id"]] = per_line.get(ln["invoice_line_id"], 0) + ln["amount_cents"]
    assert per_line.get(ids["plan_base"], 0) <= 5000 and per_line.get(ids["overage"], 0) <= 1422
    assert sorted(n["number"] for n in notes) == [f"CN-00000{i}" for i in range(1, len(notes) + 1)]
    invoice = api.get(f"/api/v1/invoices/{invoice_id}", keys["admin"]).json()["data"]
    assert invoice["credited_cents"] == sum(n["total_cents"] for n in notes) and invoice["balance_cents"] >= 0


@pytest.mark.slow  # waits out a real lock timeout
def test_a_note_waiting_on_a_held_invoice_is_answered_busy_in_bounded_time(api, engine, ledger, keys):
    invoice_id = ledger.invoice("acme", status="issued")
    with invoice_held(engine, invoice_id):  # e.g. a move on it in progress
        assert_busy(*timed(lambda: post(api, invoice_id, keys["admin"], {"reason": "r"})))
    assert stored(engine)[0] == []
    assert post(api, invoice_id, keys["admin"], {"reason": "r"}).status_code == 201


def test_answers_match_the_openapi_description(api, ledger, keys):
    doc = api.http.get("/api/v1/openapi.json").json()

    def conforms(response: httpx.Response, path: str, method: str):
        status = str(response.status_code)
        schema = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(response.json())

    invoice_id = ledger.invoice("acme", status="issued")
    plan = line_ids(api, keys["admin"], invoice_id)["plan_base"]
    body = {"reason": "r", "lines": [{"line_id": plan, "amount_cents": 100}]}
    jsonschema.Draft202012Validator({**doc["components"]["schemas"]["CreditNoteRequest"],
                                     "components": doc["components"]}).validate(body)
    path = "/api/v1/invoices/{id}/credit_notes"
    made = post(api, invoice_id, keys["admin"], body)
    conforms(made, path, "post")
    too_much = {"reason": "r", "lines": [{"line_id": plan, "amount_cents": 10**6}]}
    refused = [post(api, invoice_id, keys["admin"], {"reason": ""}), post(api, invoice_id, keys["acme"], body),
               post(api, 424242, keys["admin"], body), post(api, invoice_id, keys["admin"], too_much)]
    assert [r.status_code for r in refused] == [400, 403, 404, 409]
    for r in refused:
        conforms(r, path, "post")
    conforms(api.get(notes_url(invoice_id), keys["acme"]), path, "get")
    conforms(api.get(f"/api/v1/credit_notes/{made.json()['data']['id']}", keys["acme"]), "/api/v1/credit_notes/{id}",
             "get")
    for listed in (api.get("/api/v1/invoices", keys["acme"]), api.get(f"/api/v1/invoices/{invoice_id}", keys["acme"])):
        conforms(listed, "/api/v1/invoices" if listed.url.path.endswith("invoices") else "/api/v1/invoices/{id}", "get")


def test_a_goodwill_note_says_so_and_credits_like_any_other(api, engine, ledger, keys):
    invoice_id = ledger.invoice("acme", status="issued")
    r = post(api, invoice_id, keys["admin"], {"reason": "outage on 3 April", "purpose": "goodwill"})
    assert r.status_code == 201, r.text
    note = r.json()["data"]
    assert (note["purpose"], note["total_cents"]) == ("goodwill", 7064)
    shown = api.get(f"/api/v1/credit_notes/{note['id']}", keys["acme"]).json()["data"]
    assert shown["purpose"] == "goodwill"
    invoice = api.get(f"/api/v1/invoices/{invoice_id}", keys["acme"]).json()["data"]
    assert invoice["balance_cents"] == 0
