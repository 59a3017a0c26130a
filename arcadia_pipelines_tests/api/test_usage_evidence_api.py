"""`GET /api/v1/invoices/{id}/lines/{line_id}/usage` served for real: scoping and the worked example."""

import jsonschema
import pytest

from arcadia_pipelines.api.keys import create_key
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, rows
from arcadia_pipelines_tests.monthend.rollup import rollup

ROUTE = "/api/v1/invoices/{id}/lines/{line_id}/usage"


@pytest.fixture
def invoiced(engine):
    """The worked example for `pilot` and a second tenant like it, invoiced; keys for both and an admin."""
    World(engine).worked_example().example_tenant("other")
    rollup(engine)
    invoices = {i["tenant_id"]: i["id"] for i in rows(engine, t.tenant_invoices)}
    lines = {(ln["invoice_id"], ln["kind"]): ln["id"] for ln in rows(engine, t.tenant_invoice_lines)}
    keys = {"admin": create_key(engine, "platform_admin")[1], "pilot": create_key(engine, "tenant", "pilot")[1],
            "other": create_key(engine, "tenant", "other")[1]}
    return invoices, lines, keys


def usage(api, invoice, line, key):
    return api.get(f"/api/v1/invoices/{invoice}/lines/{line}/usage", key)


def conforms(api, response):
    doc = api.http.get("/api/v1/openapi.json").json()
    schema = doc["paths"][ROUTE]["get"]["responses"][str(response.status_code)]["content"]["application/json"]
    jsonschema.Draft202012Validator({**schema["schema"], "components": doc["components"]}).validate(response.json())


def test_the_worked_example_s_overage_line_is_three_droplets_of_720_hours(api, invoiced):
    invoices, lines, keys = invoiced
    pilot = invoices["pilot"]
    for key in (keys["pilot"], keys["admin"]):
        r = usage(api, pilot, lines[(pilot, "overage")], key)
        assert r.status_code == 200
        data = r.json()["data"]
        assert data["summary"] == {"usage": "2160", "included": "1488", "overage_quantity": "672",
                                   "unit_price_cents": "1", "amount_cents": 672, "matches_line": True}
        assert data["note"] is None and (data["kind"], data["meter"]) == ("overage", "droplet_hours")
        assert [(e["resource_id"], e["hours"], e["size"], e["quantity"], e["window_start"], e["window_end"])
                for e in data["evidence"]] == [(f"pilot-droplet-{n}", 720, "1", "720", "2026-04-01T00:00:00Z",
                                                "2026-05-01T00:00:00Z") for n in range(3)]
        conforms(api, r)
    for kind in ("plan_base", "addon", "tax"):
        r = usage(api, pilot, lines[(pilot, kind)], keys["pilot"])
        assert r.status_code == 200
        data = r.json()["data"]
        assert (data["kind"], data["evidence"], data["summary"]) == (kind, [], None)
        assert "not metered" in data["note"]
        conforms(api, r)


def test_it_is_scoped_exactly_like_the_invoice(api, invoiced):
    invoices, lines, keys = invoiced
    pilot, other = invoices["pilot"], invoices["other"]
    overage = lines[(pilot, "overage")]
    assert usage(api, pilot, overage, None).status_code == 401
    assert usage(api, pilot, overage, "not-a-key").status_code == 401
    for invoice, line, key in [(pilot, overage, keys["other"]),                   # another tenant's invoice
                               (other, overage, keys["other"]),                   # a line not on that invoice
                               (pilot, lines[(other, "overage")], keys["admin"]),  # the same, for an admin
                               (pilot, 999999, keys["pilot"]), (999999, overage, keys["admin"]),
                               (pilot, "0", keys["pilot"]), (pilot, "1e3", keys["pilot"]),
                               ("x", overage, keys["admin"])]:
        r = usage(api, invoice, line, key)
        assert r.status_code == 404, (invoice, line)
        assert r.json()["error"]["code"] == "not_found"
        conforms(api, r)
    assert usage(api, other, lines[(other, "overage")], keys["other"]).status_code == 200
