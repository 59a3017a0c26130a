"""The fake API's answers conform to DigitalOcean's published OpenAPI spec, so it cannot drift."""

from __future__ import annotations

import pytest

from arcadia_pipelines.devtools.do_builders import invoice_item
from .openapi_spec import ENV_VAR, OpenApiSpec, load_document, spec_dir, to_json_schema
from .raw_http import get


@pytest.fixture(scope="module")
def spec() -> OpenApiSpec:
    return OpenApiSpec()


@pytest.fixture
def busy_account(do_server):
    """An account with a bit of everything, including nullable and optional fields."""
    do_server.add_droplet("web", size_slug="s-2vcpu-4gb", tags=["tenant:a", "env:prod"])
    do_server.add_droplet("db", size_slug="g-8vcpu-32gb", region="ams3")
    do_server.add_droplet("trainer", size_slug="gpu-h100x8-640gb", region="tor1", tags=["tenant:ml"])
    do_server.add_volume("data", size_gigabytes=500, tags=["tenant:a"])
    do_server.add_volume("scratch", size_gigabytes=1)
    items = [
        invoice_item("12.34", resource_id="500000001", resource_uuid="1f0c1e2a-0000-4000-8000-000000000001"),
        invoice_item("-1.00", product="Credits", group_description="promo"),
    ]
    issued = do_server.add_invoice("2026-01", items)
    do_server.set_invoice_preview("2026-02", items[:1])
    return do_server, issued["invoice_uuid"]


@pytest.mark.parametrize(
    "spec_path, path, query",
    [
        ("/v2/droplets", "/v2/droplets", {}),
        ("/v2/droplets", "/v2/droplets", {"type": "gpus"}),
        ("/v2/droplets", "/v2/droplets", {"per_page": 1, "page": 2}),
        ("/v2/volumes", "/v2/volumes", {}),
        ("/v2/customers/my/invoices", "/v2/customers/my/invoices", {}),
        ("/v2/customers/my/invoices/{invoice_uuid}", "/v2/customers/my/invoices/{invoice_uuid}", {"per_page": 1}),
    ],
)
def test_fake_responses_match_the_spec(spec, busy_account, token, spec_path, path, query):
    server, invoice_uuid = busy_account
    status, _, body = get(server.url, path.format(invoice_uuid=invoice_uuid), token, **query)

    assert status == 200
    assert next(v for k, v in body.items() if k not in ("links", "meta"))  # something was listed
    assert spec.response_errors(spec_path, body) == []


def test_fake_error_bodies_match_the_spec(spec, do_server, token):
    do_server.script_failures("/v2/droplets", [429, 500])
    for status in (429, 500):
        assert spec.response_errors("/v2/droplets", get(do_server.url, "/v2/droplets", token)[2], status=str(status)) == []
    assert spec.response_errors("/v2/droplets", get(do_server.url, "/v2/droplets", "bad")[2], status="401") == []


def test_drift_is_caught(spec, do_server, token):
    droplet = do_server.add_droplet()
    body = get(do_server.url, "/v2/droplets", token)[2]
    del body["droplets"][0]["size_slug"]
    body["droplets"][0]["created_at"] = "yesterday"
    body["droplets"][0]["id"] = str(droplet["id"])

    assert spec.response_errors("/v2/droplets", body) == [
        "$.droplets[0]: 'size_slug' is a required property",
        "$.droplets[0].created_at: 'yesterday' is not a 'date-time'",
        f"$.droplets[0].id: '{droplet['id']}' is not of type 'integer'",
    ]


def test_the_specs_own_examples_pass_so_the_loader_reads_it_right(spec):
    """The examples hold `null` kernels and backup windows, and $refs across many files."""
    examples = load_document(spec_dir() / "resources/droplets/responses/examples.yml")
    for name in ("droplets_all", "droplets_tagged", "gpu_droplets"):
        assert spec.response_errors("/v2/droplets", examples[name]["value"]) == [], name


def test_powered_off_droplets_conform(spec, do_server, token):
    """Off droplets are still billed. Plain YAML 1.1 would read the spec's `off` status as False."""
    do_server.add_droplet(status="off")
    body = get(do_server.url, "/v2/droplets", token)[2]
    assert body["droplets"][0]["status"] == "off"
    assert spec.response_errors("/v2/droplets", body) == []


def test_nullable_becomes_a_null_type():
    assert to_json_schema({"type": "string", "nullable": True, "enum": ["a"]}) == {"type": ["string", "null"], "enum": ["a", None]}
    assert to_json_schema({"$ref": "x.yml", "nullable": True}) == {"anyOf": [{"$ref": "x.yml"}, {"type": "null"}]}
    assert to_json_schema({"properties": {"nullable": {"type": "boolean"}}}) == {"properties": {"nullable": {"type": "boolean"}}}


def test_the_spec_directory_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=ENV_VAR):
        OpenApiSpec()
    monkeypatch.delenv(ENV_VAR)
    assert (spec_dir() / "DigitalOcean-public.v2.yaml").is_file()
