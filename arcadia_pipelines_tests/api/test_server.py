"""`arcadia-pipelines api` as users run it, the startup migration, and the OpenAPI description."""

from __future__ import annotations

import jsonschema
import pytest
import sqlalchemy as sa

from arcadia_pipelines.api.keys import create_key, revoke_key
from arcadia_pipelines.cli import build_parser

from .conftest import api_command

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess


def test_the_api_verb_defaults_to_loopback_port_8080():
    args = build_parser().parse_args(["api"])
    assert (args.host, args.port) == ("127.0.0.1", 8080)


def test_the_api_command_serves_and_its_logs_never_contain_keys(warehouse_url, engine, ledger, tmp_path):
    ledger.tenant("acme")
    invoice = ledger.invoice("acme")
    admin = create_key(engine, "platform_admin")[1]
    revoked_id, revoked = create_key(engine, "tenant", "acme")
    revoke_key(engine, revoked_id)
    log_path = tmp_path / "api.log"
    env = {"PATH": "/usr/bin:/bin", "ARCADIA_WAREHOUSE_URL": warehouse_url, "DAGSTER_HOME": str(tmp_path)}
    with api_command(env, log_path) as api:
        assert api.get("/api/v1/invoices", admin).status_code == 200
        assert api.post(f"/api/v1/invoices/{invoice}/issue", admin).status_code == 200
        assert api.get(f"/api/v1/invoices/{invoice}", revoked).status_code == 401
        assert api.http.get("/api/v1/invoices", params={"api_key": admin}).status_code == 401
        assert api.http.get("/api/v1/invoices", params={"key": admin},  # a key wrongly put in the URL
                            headers={"Authorization": f"Bearer {admin}"}).status_code == 400
        assert api.http.get("/api/v1/invoices", headers={"Authorization": f"Basic {admin}"}).status_code == 401
    logged = log_path.read_text()
    assert '"GET /api/v1/invoices' in logged and f"invoice {invoice} is now issued" in logged
    for key in (admin, revoked):
        assert key[9:20] not in logged


def test_the_api_migrates_an_empty_warehouse_at_startup(tmp_path):
    """SQLite only: a fresh PostgreSQL database per test would cost more than it shows."""
    from arcadia_pipelines.warehouse.engine import create_warehouse_engine

    from .conftest import serve

    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with serve(engine) as api:
        r = api.get("/api/v1/invoices", "ak_not-a-real-key")
        assert (r.status_code, r.json()["error"]["code"]) == (401, "unauthenticated")
    assert {"tenant_invoices", "api_keys"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_the_openapi_description_matches_what_the_api_serves(api, ledger, keys):
    doc = api.http.get("/api/v1/openapi.json").json()  # public: no key needed
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/api/v1/invoices", "/api/v1/invoices/preview", "/api/v1/invoices/{id}",
                                 "/api/v1/invoices/{id}/issue", "/api/v1/invoices/{id}/lines/{line_id}/usage",
                                 "/api/v1/invoices/{id}/pay", "/api/v1/invoices/{id}/void",
                                 "/api/v1/invoices/{id}/credit_notes", "/api/v1/credit_notes", "/api/v1/credit_notes/{id}",
                                 "/api/v1/credit_notes/{id}/pdf", "/api/v1/credit_notes/{id}/csv",
                                 "/api/v1/invoices/{id}/pdf", "/api/v1/invoices/{id}/csv", "/api/v1/events",
                                 "/api/v1/webhooks", "/api/v1/openapi.json"}
    assert "period_start descending" in doc["paths"]["/api/v1/invoices"]["get"]["description"]

    def conforms(instance, path: str, method: str, status: str):
        schema = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(instance)

    invoice = ledger.invoice("acme")
    conforms(api.get("/api/v1/invoices", keys["admin"]).json(), "/api/v1/invoices", "get", "200")
    conforms(api.get(f"/api/v1/invoices/{invoice}", keys["admin"]).json(), "/api/v1/invoices/{id}", "get", "200")
    conforms(api.post(f"/api/v1/invoices/{invoice}/issue", keys["admin"]).json(),
             "/api/v1/invoices/{id}/issue", "post", "200")
    conforms(api.post(f"/api/v1/invoices/{invoice}/issue", keys["admin"]).json(),
             "/api/v1/invoices/{id}/issue", "post", "409")
    conforms(api.get("/api/v1/invoices", keys["admin"], limit="0").json(), "/api/v1/invoices", "get", "400")
