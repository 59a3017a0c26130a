"""The fake DigitalOcean API behaves like the real one where billing depends on it."""

from __future__ import annotations

import pytest

from arcadia_pipelines.devtools.do_builders import invoice_item

from .raw_http import get


def test_pages_follow_digitaloceans_rules(do_server, token):
    for _ in range(45):
        do_server.add_droplet(tags=["tenant:a"])

    status, headers, first = get(do_server.url, "/v2/droplets", token, tag_name="tenant:a")
    _, _, middle = get(do_server.url, "/v2/droplets", token, tag_name="tenant:a", page=2)
    _, _, capped = get(do_server.url, "/v2/droplets", token, per_page=500)

    assert status == 200 and headers["ratelimit-limit"] == "5000"
    assert len(first["droplets"]) == 20 and first["meta"] == {"total": 45}  # default per_page is 20
    link = f"{do_server.url}/v2/droplets?tag_name=tenant%3Aa&page={{}}&per_page=20"
    assert first["links"] == {"pages": {"next": link.format(2), "last": link.format(3)}}
    assert middle["links"]["pages"] == {
        "first": link.format(1), "prev": link.format(1), "next": link.format(3), "last": link.format(3)
    }
    assert len(capped["droplets"]) == 45 and capped["links"] == {}  # per_page is capped at 200: one page


def test_gpu_droplets_are_listed_only_when_asked_for_like_the_real_api(do_server, token):
    regular = do_server.add_droplet(size_slug="g-8vcpu-32gb", tags=["tenant:a"])
    gpu = do_server.add_droplet(size_slug="gpu-h100x1-80gb", tags=["tenant:a"])

    def ids(**query):
        return [d["id"] for d in get(do_server.url, "/v2/droplets", token, **query)[2]["droplets"]]

    assert ids() == ids(type="droplets") == ids(tag_name="tenant:a") == [regular["id"]]
    assert ids(type="gpus") == [gpu["id"]]
    assert get(do_server.url, "/v2/droplets", token, type="gpus", tag_name="tenant:a")[0] == 400


def test_a_wrong_or_missing_token_gets_digitaloceans_401(do_server, token):
    for bad in ("nope", None):
        status, _, body = get(do_server.url, "/v2/volumes", bad)
        assert (status, body) == (401, {"id": "unauthorized", "message": "Unable to authenticate you."})


def test_scripted_failures_come_in_order_then_requests_succeed(do_server, token):
    do_server.script_failures("/v2/volumes", [429, 500], retry_after=2)

    first, second, third = (get(do_server.url, "/v2/volumes", token) for _ in range(3))

    assert (first[0], first[2]["id"], first[1]["retry-after"], first[1]["ratelimit-remaining"]) == (
        429, "too_many_requests", "2", "0"
    )
    assert {"ratelimit-limit", "ratelimit-reset"} <= first[1].keys()
    assert (second[0], third[0]) == (500, 200)
    assert [(r.path, r.status) for r in do_server.requests] == [("/v2/volumes", s) for s in (429, 500, 200)]


def test_the_request_log_and_server_output_never_hold_the_token(do_server, token, capfd):
    get(do_server.url, "/v2/droplets", token, page=1)
    get(do_server.url, "/v2/droplets", "wrong-token")

    assert [(r.method, r.path, r.query, r.status) for r in do_server.requests] == [
        ("GET", "/v2/droplets", {"page": "1"}, 200), ("GET", "/v2/droplets", {}, 401)
    ]
    out, err = capfd.readouterr()
    assert token not in repr(do_server.requests) + out + err
    assert "wrong-token" not in out + err


def test_unknown_paths_and_invoices_are_404(do_server, token):
    assert get(do_server.url, "/v2/customers/my/invoices/unknown", token)[:3:2] == (
        404, {"id": "not_found", "message": "The resource you requested could not be found."}
    )
    assert get(do_server.url, "/v2/nothing-here", token)[0] == 404


def test_resizing_across_gpu_and_regular_sizes_rebuilds_the_size_fields(do_server):
    droplet = do_server.add_droplet(size_slug="s-1vcpu-1gb")
    gpu = do_server.resize_droplet(droplet["id"], "gpu-h100x8-640gb")
    back = do_server.resize_droplet(droplet["id"], "s-8vcpu-16gb")

    assert (gpu["size"]["slug"], gpu["gpu_info"]["count"]) == ("gpu-h100x8-640gb", 8)
    assert (back["size_slug"], back["vcpus"], back["memory"], "gpu_info" in back) == ("s-8vcpu-16gb", 8, 16384, False)


def test_invoices_default_to_the_sum_of_their_items(do_server):
    invoice = do_server.add_invoice("2026-01", [invoice_item("10.10"), invoice_item("-0.10"), invoice_item("0.05")])
    assert invoice["amount"] == "10.05"
    with pytest.raises(ValueError, match="already exists"):
        do_server.add_invoice("2026-01", [], invoice_uuid=invoice["invoice_uuid"])
