"""Finance works by number: invoices and credit notes are found by their numbers through the API,
scoped like everything else, and their documents are named by them (drafts, which have none, by id)."""

from __future__ import annotations

from arcadia_pipelines_tests.api.test_credit_notes import error


def _admin_post(api, key, path, body=None) -> dict:
    r = api.http.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code in (200, 201), r.text
    return r.json()["data"]


def _issued_with_note(api, ledger, keys) -> tuple[dict, dict, dict, int]:
    """acme's issued invoice with a credit note, globex's issued invoice with one, and acme's draft."""
    acme, globex, draft = ledger.invoice("acme"), ledger.invoice("globex"), ledger.invoice("acme", period="2026-05")
    acme_inv = _admin_post(api, keys["admin"], f"/api/v1/invoices/{acme}/issue")
    globex_inv = _admin_post(api, keys["admin"], f"/api/v1/invoices/{globex}/issue")
    _admin_post(api, keys["admin"], f"/api/v1/invoices/{globex}/credit_notes", {"reason": "duplicate"})
    note = _admin_post(api, keys["admin"], f"/api/v1/invoices/{acme}/credit_notes", {"reason": "plan billed twice"})
    return acme_inv, globex_inv, note, draft


def test_invoices_and_credit_notes_are_found_by_number_in_the_caller_s_scope(api, ledger, keys):
    acme_inv, globex_inv, note, _ = _issued_with_note(api, ledger, keys)
    assert (acme_inv["number"], globex_inv["number"], note["number"]) == ("INV-000001", "INV-000002", "CN-000002")

    def numbers(path, key, **params):
        r = api.get(path, key, **params)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["data"]], r.json()["next_cursor"]

    assert numbers("/api/v1/invoices", keys["admin"], number="INV-000001") == ([acme_inv["id"]], None)
    assert numbers("/api/v1/invoices", keys["acme"], number="INV-000001") == ([acme_inv["id"]], None)
    assert numbers("/api/v1/invoices", keys["acme"], number="INV-000002") == ([], None)  # globex's: not revealed
    assert numbers("/api/v1/invoices", keys["admin"], number="INV-000009") == ([], None)
    assert numbers("/api/v1/credit_notes", keys["admin"], number="CN-000002") == ([note["id"]], None)
    assert numbers("/api/v1/credit_notes", keys["acme"], number="CN-000002") == ([note["id"]], None)
    assert numbers("/api/v1/credit_notes", keys["globex"], number="CN-000002") == ([], None)
    assert api.get("/api/v1/credit_notes", keys["acme"], number="CN-000002").json()["data"] == [note]
    # the collection without a number: newest first, paged, scoped
    assert numbers("/api/v1/credit_notes", keys["admin"]) == ([note["id"], note["id"] - 1], None)
    first, cursor = numbers("/api/v1/credit_notes", keys["admin"], limit="1")
    assert first == [note["id"]] and cursor
    assert numbers("/api/v1/credit_notes", keys["admin"], limit="1", cursor=cursor) == ([note["id"] - 1], None)
    assert numbers("/api/v1/credit_notes", keys["globex"]) == ([note["id"] - 1], None)
    assert numbers("/api/v1/credit_notes", keys["admin"], tenant_id="acme") == ([note["id"]], None)
    for path, bad in (("/api/v1/invoices", "CN-000001"), ("/api/v1/invoices", "INV-1"), ("/api/v1/invoices", ""),
                      ("/api/v1/credit_notes", "INV-000001"), ("/api/v1/credit_notes", "cn-000001")):
        r = api.get(path, keys["admin"], number=bad)
        assert error(r) == (400, "invalid_parameter") and r.json()["error"]["message"].startswith("number:"), bad
    assert error(api.get("/api/v1/credit_notes", None, number="CN-000001")) == (401, "unauthenticated")
    assert error(api.get("/api/v1/credit_notes", keys["admin"], cursor="abc")) == (400, "invalid_cursor")


def test_documents_are_named_by_number_and_drafts_by_id(api, ledger, keys, monkeypatch):
    monkeypatch.setenv("ARCADIA_SUPPLIER_NAME", "Arcadia Cloud Pty Ltd")
    monkeypatch.setenv("ARCADIA_SUPPLIER_ABN", "12 345 678 901")
    acme_inv, _, note, draft = _issued_with_note(api, ledger, keys)
    for path, name in ((f"/api/v1/invoices/{acme_inv['id']}", "INV-000001"),
                       (f"/api/v1/credit_notes/{note['id']}", "CN-000002"),
                       (f"/api/v1/invoices/{draft}", f"invoice-{draft}-draft")):
        for extension, media_type in (("pdf", "application/pdf"), ("csv", "text/csv; charset=utf-8")):
            r = api.get(f"{path}/{extension}", keys["acme"])
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == media_type
            assert r.headers["content-disposition"] == f'attachment; filename="{name}.{extension}"'
    assert error(api.get(f"/api/v1/credit_notes/{note['id']}/pdf", keys["globex"])) == (404, "not_found")
    monkeypatch.delenv("ARCADIA_SUPPLIER_ABN")
    r = api.get(f"/api/v1/credit_notes/{note['id']}/pdf", keys["acme"])
    assert error(r) == (503, "not_configured") and "ARCADIA_SUPPLIER_ABN" in r.json()["error"]["message"]


def test_every_path_s_allow_header_lists_the_methods_it_serves(api, ledger, keys):
    invoice = ledger.invoice("acme", status="issued")
    for method, path, allowed in (("OPTIONS", f"/api/v1/invoices/{invoice}/credit_notes", {"GET", "HEAD", "POST"}),
                                  ("DELETE", f"/api/v1/invoices/{invoice}/credit_notes", {"GET", "HEAD", "POST"}),
                                  ("OPTIONS", "/api/v1/credit_notes", {"GET", "HEAD"}),
                                  ("PUT", f"/api/v1/invoices/{invoice}", {"GET", "HEAD"}),
                                  ("GET", f"/api/v1/invoices/{invoice}/issue", {"POST"})):
        r = api.http.request(method, path, headers={"Authorization": f"Bearer {keys['admin']}"})
        assert error(r) == (405, "method_not_allowed"), (method, path)
        assert {m.strip() for m in r.headers["allow"].split(",")} == allowed, (method, path)
    assert api.get(f"/api/v1/invoices/{invoice}/credit_notes", keys["acme"]).status_code == 200
