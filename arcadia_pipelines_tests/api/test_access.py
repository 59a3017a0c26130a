"""Who may see and do what: the 401/403/404 matrix, revoked keys, tenants kept apart."""

from __future__ import annotations

from arcadia_pipelines.api.keys import create_key, revoke_key

MOVES = ("issue", "pay", "void")


def every_route(invoice_id: int) -> list[tuple[str, str]]:
    return [("GET", "/api/v1/invoices"), ("GET", f"/api/v1/invoices/{invoice_id}"),
            *(("POST", f"/api/v1/invoices/{invoice_id}/{m}") for m in MOVES)]


def error_code(response) -> str:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]["code"]


def test_missing_malformed_or_unknown_keys_get_401_everywhere(api, ledger, keys):
    invoice = ledger.invoice("acme")
    near_miss = keys["admin"][:-1] + ("A" if keys["admin"][-1] != "A" else "B")
    for headers in [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Bearer ak_"},
                    {"Authorization": keys["admin"]}, {"Authorization": f"Basic {keys['admin']}"},
                    {"Authorization": f"Bearer {near_miss}"}, {"Authorization": "Bearer ak_" + "x" * 5000},
                    {"Authorization": "Bearer ' OR 1=1 --"}]:
        for method, path in every_route(invoice):
            r = api.http.request(method, path, headers=headers)
            assert r.status_code == 401, (method, path, headers)
            assert error_code(r) == "unauthenticated"
            assert r.headers["www-authenticate"] == "Bearer"
    assert ledger.status(invoice) == "draft"


def test_a_revoked_key_is_refused_from_its_next_request(api, engine, ledger, keys):
    invoice = ledger.invoice("acme")
    key_id, key = create_key(engine, "platform_admin")
    assert api.get(f"/api/v1/invoices/{invoice}", key).status_code == 200
    revoke_key(engine, key_id)
    for method, path in every_route(invoice):
        r = api.http.request(method, path, headers={"Authorization": f"Bearer {key}"})
        assert (r.status_code, error_code(r)) == (401, "unauthenticated")
    assert ledger.status(invoice) == "draft"
    assert api.get(f"/api/v1/invoices/{invoice}", keys["admin"]).status_code == 200  # other keys unaffected


def test_a_tenant_key_on_admin_routes_gets_403_and_changes_nothing(api, ledger, keys):
    own = ledger.invoice("acme")
    for move in MOVES:
        for invoice in (own, 987654321):  # its own invoice or none at all: the same answer
            r = api.post(f"/api/v1/invoices/{invoice}/{move}", keys["acme"])
            assert (r.status_code, error_code(r)) == (403, "forbidden")
    assert ledger.status(own) == "draft"


def test_a_tenant_sees_its_own_invoices_only(api, ledger, keys):
    own = [ledger.invoice("acme", p) for p in ("2026-03", "2026-04")]
    theirs = ledger.invoice("globex")
    listed = api.get("/api/v1/invoices", keys["acme"]).json()["data"]
    assert sorted(i["id"] for i in listed) == sorted(own)
    assert {i["tenant_id"] for i in listed} == {"acme"}
    assert api.get(f"/api/v1/invoices/{own[0]}", keys["acme"]).json()["data"]["tenant_id"] == "acme"
    admin_ids = {i["id"] for i in api.get("/api/v1/invoices", keys["admin"]).json()["data"]}
    assert admin_ids == {*own, theirs}


def test_a_tenant_trying_every_route_on_another_tenants_invoice_learns_nothing(api, ledger, keys):
    theirs = ledger.invoice("globex", status="issued")
    unknown = theirs + 1000
    as_acme = {"Authorization": f"Bearer {keys['acme']}"}
    for (method, path), (_, unknown_path) in zip(every_route(theirs)[1:], every_route(unknown)[1:]):
        r = api.http.request(method, path, headers=as_acme)
        same_for_unknown = api.http.request(method, unknown_path, headers=as_acme)
        assert r.status_code in (403, 404), (method, path)
        assert (r.status_code, r.json()) == (same_for_unknown.status_code, same_for_unknown.json())
    for filters in ({}, {"tenant_id": "globex"}, {"status": "issued"}, {"period": "2026-04"}):
        assert api.get("/api/v1/invoices", keys["acme"], **filters).json()["data"] == []
    assert ledger.status(theirs) == "issued"
    assert api.get(f"/api/v1/invoices/{theirs}", keys["globex"]).status_code == 200


def test_the_tenant_id_filter_narrows_but_never_widens_a_tenant_key(api, ledger, keys):
    acme = ledger.invoice("acme")
    globex = ledger.invoice("globex")
    ids = lambda key, **f: [i["id"] for i in api.get("/api/v1/invoices", key, **f).json()["data"]]  # noqa: E731
    assert ids(keys["acme"], tenant_id="acme") == [acme]
    assert ids(keys["acme"], tenant_id="globex") == []
    assert ids(keys["acme"], tenant_id="globex' OR '1'='1") == []
    assert ids(keys["admin"], tenant_id="globex") == [globex]
    assert ids(keys["admin"], tenant_id="nobody") == []
