"""`GET /api/v1/webhooks`: admins see every endpoint's delivery figures, as the OpenAPI document
describes them; tenants are refused; no secret is ever in the answer."""

from __future__ import annotations

import random

import jsonschema
from cryptography.fernet import Fernet

from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.webhooks.delivery import RetryPolicy, deliver_pass
from arcadia_pipelines.webhooks.endpoints import add_endpoint, set_disabled
from arcadia_pipelines_tests.api.conftest import NOW


def test_admins_see_each_endpoints_last_event_lag_failures_and_parked_events_and_never_a_secret(
        api, ledger, keys, engine, monkeypatch, tmp_path):
    monkeypatch.setenv("ARCADIA_WEBHOOK_KEY", Fernet.generate_key().decode())
    refused_id, refused_secret = add_endpoint(engine, "http://127.0.0.1:9/refused", "invoice.issued")
    quiet_id, quiet_secret = add_endpoint(engine, "https://ops:hunter2@ledger.example.com/in", "invoice.paid")
    set_disabled(engine, quiet_id, True)
    invoice = ledger.invoice("acme")
    with engine.begin() as conn:
        apply_move(conn, invoice, "issue", NOW)
    deliver_pass(engine, policy=RetryPolicy(max_attempts=1, deadline_seconds=1), rng=random.Random(0))

    answer = api.get("/api/v1/webhooks", keys["admin"])
    assert answer.status_code == 200
    doc = api.http.get("/api/v1/openapi.json").json()
    schema = doc["paths"]["/api/v1/webhooks"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(answer.json())
    by_id = {e["id"]: e for e in answer.json()["data"]}
    refused, quiet = by_id[refused_id], by_id[quiet_id]
    assert (refused["events"], refused["disabled"], refused["parked"], refused["failures_last_day"]) == (
        ["invoice.issued"], False, 1, 1)
    assert refused["parked_events"][0]["error"] == "connection refused or closed before an answer"
    assert refused["last_delivered_event_id"] is None and refused["lag_events"] == 0
    assert quiet["disabled"] and quiet["url"] == "https://ops:***@ledger.example.com/in"
    for secret in (refused_secret, quiet_secret, "hunter2"):
        assert secret not in answer.text

    assert api.get("/api/v1/webhooks", keys["acme"]).status_code == 403
    assert api.get("/api/v1/webhooks").status_code == 401
    assert api.get("/api/v1/webhooks", keys["admin"], limit="1").status_code == 400
