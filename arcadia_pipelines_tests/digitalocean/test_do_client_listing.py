"""The pydo wrapper against a live loopback API: every page, GPU droplets, volumes, invoices."""

from __future__ import annotations

import time
from collections import Counter

from arcadia_pipelines.devtools.do_builders import invoice_item
from arcadia_pipelines.digitalocean import DigitalOceanClient, amount_to_cents


def test_450_droplets_come_back_once_each_over_three_pages(do_server, client):
    created = {do_server.add_droplet(tags=[f"tenant:{n % 7}"])["id"] for n in range(450)}

    listed = list(client.droplets())

    assert Counter(d["id"] for d in listed) == Counter(created)
    pages = [r.query["page"] for r in do_server.requests if "type" not in r.query]
    assert pages == ["1", "2", "3"]
    assert {r.query["per_page"] for r in do_server.requests} == {"200"}


def test_gpu_droplets_are_listed_exactly_once_alongside_regular_ones(do_server, client):
    web = do_server.add_droplet("web", size_slug="s-2vcpu-4gb")
    h100 = do_server.add_droplet("trainer", size_slug="gpu-h100x8-640gb", tags=["tenant:ml"])
    small_gpu = do_server.add_droplet("infer", size_slug="gpu-h100x1-80gb")

    listed = {d["id"]: d for d in client.droplets()}

    assert sorted(listed) == sorted([web["id"], h100["id"], small_gpu["id"]])
    assert listed[h100["id"]]["gpu_info"]["count"] == 8
    assert listed[h100["id"]]["tags"] == ["tenant:ml"]
    assert "gpu_info" not in listed[web["id"]]


def test_droplet_changes_show_up_on_the_next_listing(do_server, client):
    keep = do_server.add_droplet("keep", size_slug="s-1vcpu-1gb", tags=["tenant:a"])
    gone = do_server.add_droplet("gone")
    do_server.resize_droplet(keep["id"], "s-4vcpu-8gb")
    do_server.retag_droplet(keep["id"], ["tenant:b"])
    do_server.remove_droplet(gone["id"])

    (listed,) = client.droplets()

    assert (listed["id"], listed["size_slug"], listed["vcpus"], listed["tags"]) == (keep["id"], "s-4vcpu-8gb", 4, ["tenant:b"])


def test_volumes_with_their_sizes_and_tags(do_server, client):
    data = do_server.add_volume("pg-data", size_gigabytes=100, tags=["tenant:a"], created_at="2026-01-05T10:00:00Z")
    logs = do_server.add_volume("logs", size_gigabytes=250)
    do_server.resize_volume(data["id"], 500)
    do_server.retag_volume(logs["id"], ["tenant:b"])

    listed = {v["id"]: v for v in client.volumes()}

    assert {i: (v["name"], v["size_gigabytes"], v["tags"]) for i, v in listed.items()} == {
        data["id"]: ("pg-data", 500, ["tenant:a"]),
        logs["id"]: ("logs", 250, ["tenant:b"]),
    }
    assert listed[data["id"]]["created_at"] == "2026-01-05T10:00:00Z"


def test_invoices_list_over_two_pages_newest_first_with_the_preview(do_server, client):
    periods = [f"{2009 + n // 12}-{n % 12 + 1:02d}" for n in range(205)]
    for period in periods:
        do_server.add_invoice(period, [invoice_item("10.00")])
    do_server.set_invoice_preview("2026-02", [invoice_item("3.21")], updated_at="2026-02-10T06:00:00Z")

    invoices = list(client.invoices())

    assert [i["invoice_period"] for i in invoices] == sorted(periods, reverse=True)
    assert {i["amount"] for i in invoices} == {"10.00"}
    assert [r.query["page"] for r in do_server.requests] == ["1", "2"]
    preview = client.invoice_preview()
    assert (preview["invoice_period"], preview["amount"], preview["updated_at"]) == ("2026-02", "3.21", "2026-02-10T06:00:00Z")
    assert [i["amount"] for i in client.invoice_items(preview["invoice_uuid"])] == ["3.21"]


def test_invoice_items_over_two_pages_add_up_to_the_invoice(do_server, client):
    items = [invoice_item(f"{n}.{n % 100:02d}", resource_id=str(n)) for n in range(260)]
    invoice = do_server.add_invoice("2026-01", items)

    listed = list(client.invoice_items(invoice["invoice_uuid"]))

    assert [i["resource_id"] for i in listed] == [str(n) for n in range(260)]
    assert sum(amount_to_cents(i["amount"]) for i in listed) == amount_to_cents(invoice["amount"])
    assert listed[0]["start_time"] == "2026-01-01T00:00:00Z" and listed[0]["end_time"] == "2026-02-01T00:00:00Z"
    assert [r.query["page"] for r in do_server.requests] == ["1", "2"]


def test_a_429_then_success_is_retried_and_honours_retry_after(do_server, client):
    droplet = do_server.add_droplet()
    do_server.script_failures("/v2/droplets", [429], retry_after=0.3)

    started = time.monotonic()
    listed = list(client.droplets())

    assert [d["id"] for d in listed] == [droplet["id"]]
    assert time.monotonic() - started >= 0.3
    assert [r.status for r in do_server.requests][:2] == [429, 200]


def test_a_500_then_success_is_retried(do_server, client):
    volume = do_server.add_volume()
    do_server.script_failures("/v2/volumes", [500, 503])

    assert [v["id"] for v in client.volumes()] == [volume["id"]]
    assert [r.status for r in do_server.requests] == [500, 503, 200]


def test_a_huge_retry_after_is_capped_so_runs_do_not_stall(do_server, token):
    do_server.add_droplet()
    do_server.script_failures("/v2/droplets", [429], retry_after=3600)
    client = DigitalOceanClient(token, do_server.url, retry_backoff_factor=0.01, retry_backoff_max=0.2)

    started = time.monotonic()
    assert len(list(client.droplets())) == 1
    assert time.monotonic() - started < 5
