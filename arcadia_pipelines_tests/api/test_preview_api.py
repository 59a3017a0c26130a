"""GET /api/v1/invoices/preview over real HTTP: scoping, parameters, and the same numbers as the invoice."""

from __future__ import annotations

import jsonschema

from arcadia_pipelines.api.keys import create_key
from arcadia_pipelines_tests.builders import World, at
from arcadia_pipelines_tests.monthend.rollup import rollup

PREVIEW = "/api/v1/invoices/preview"
LAST_INSTANT = "2026-04-30T23:59:59.999999Z"


def conforms(api, response) -> None:
    """The answer is what /api/v1/openapi.json says this route answers with its status."""
    doc = api.http.get("/api/v1/openapi.json").json()
    responses = doc["paths"][PREVIEW]["get"]["responses"]
    schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(response.json())


def error(response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    return response.status_code, body["error"]["code"], body["error"]["message"]


def test_a_tenant_key_previews_its_own_month_and_nobody_else_s(api, engine):
    World(engine).worked_example("pilot").tax_rate("AU", "0.1", "GST 10%").example_tenant("rival")
    pilot, rival = create_key(engine, "tenant", "pilot")[1], create_key(engine, "tenant", "rival")[1]
    admin = create_key(engine, "platform_admin")[1]

    mine = api.get(PREVIEW, pilot, as_of="2026-04-15T23:59:59.999999Z")
    assert mine.status_code == 200
    conforms(api, mine)
    data = mine.json()["data"]
    assert (data["tenant_id"], data["period"], data["as_of"], data["stored"]) == (
        "pilot", "2026-04", "2026-04-15T23:59:59.999999Z", False)
    # three droplets: 1080 h so far (inside 1488 included), 2160 h projected (672 h over)
    assert [ln["description"] for ln in data["metered_so_far"]["lines"]] == [
        "Plan: Studio (full month)", "Addon: storage_50gb", "GST 10%"]
    assert data["metered_so_far"]["total_cents"] == 6325
    assert data["projected_month_end"]["lines"][2]["description"] == "Overage: droplet_hours (2160 used, 1488 included)"
    assert data["projected_month_end"]["total_cents"] == 7064
    assert api.get(PREVIEW, pilot, tenant_id="pilot", as_of="2026-04-15T23:59:59.999999Z").json() == mine.json()

    assert error(api.get(PREVIEW, pilot, tenant_id="rival")) == (404, "not_found", "no such tenant")
    assert error(api.get(PREVIEW, pilot, tenant_id="nobody")) == (404, "not_found", "no such tenant")
    assert api.get(PREVIEW, rival).json()["data"]["tenant_id"] == "rival"
    assert api.get(PREVIEW, admin, tenant_id="rival").json()["data"]["tenant_id"] == "rival"
    assert error(api.get(PREVIEW, admin, tenant_id="nobody"))[0] == 404
    status, code, message = error(api.get(PREVIEW, admin))  # an admin key has no tenant of its own to preview
    assert (status, code) == (404, "not_found") and message.startswith("tenant_id: required")


def test_bad_parameters_and_keys_are_refused_in_the_api_s_error_shape(api, engine):
    World(engine).worked_example("pilot")
    key = create_key(engine, "tenant", "pilot")[1]
    for as_of in ("yesterday", "2026-13-01", "9999-12-31T23:59:59Z", "2026-04-15T25:00:00Z"):
        status, code, message = error(api.get(PREVIEW, key, as_of=as_of))
        assert (status, code) == (400, "invalid_parameter") and message.startswith("as_of: must be an ISO 8601"), as_of
    assert error(api.get(PREVIEW, key, period="2026-04"))[:2] == (400, "invalid_parameter")
    assert error(api.get(f"{PREVIEW}?as_of=2026-04-01&as_of=2026-04-02", key))[:2] == (400, "invalid_parameter")
    assert error(api.get(PREVIEW))[:2] == (401, "unauthenticated")
    assert error(api.get(PREVIEW, "ak_not-a-key"))[:2] == (401, "unauthenticated")


def test_bad_input_is_a_422_naming_the_rule(api, engine):
    w = World(engine).worked_example("pilot")
    w.resource("dep-pilot", "broken", at(2026, 4, 2), quantity=-3)
    key = create_key(engine, "tenant", "pilot")[1]
    response = api.get(PREVIEW, key, as_of="2026-04-10T00:00:00Z")
    conforms(api, response)
    status, code, message = error(response)
    assert (status, code) == (422, "bad_input")
    assert "tenant pilot, subscription sub-pilot: negative_quantity: metered droplet broken" in message


def test_as_of_the_last_instant_the_preview_is_the_invoice(api, engine):
    World(engine).worked_example("pilot").tax_rate("AU", "0.1", "GST 10%")
    rollup(engine)
    admin = create_key(engine, "platform_admin")[1]
    [invoice] = api.get("/api/v1/invoices", admin).json()["data"]
    shown = api.get(f"/api/v1/invoices/{invoice['id']}", admin).json()["data"]
    data = api.get(PREVIEW, admin, tenant_id="pilot", as_of=LAST_INSTANT).json()["data"]
    fields = ("kind", "description", "quantity", "unit_price_cents", "amount_cents", "subscription_id", "meter")
    for label in ("metered_so_far", "projected_month_end"):
        assert [{k: ln[k] for k in fields} for ln in data[label]["lines"]] == [
            {k: ln[k] for k in fields} for ln in shown["lines"]]
        assert data[label]["total_cents"] == shown["total_cents"] == 7064
    assert len(api.get("/api/v1/invoices", admin).json()["data"]) == 1  # a preview is never an invoice
