"""Listings are complete and agree with `meta.total`, or fail naming why; malformed items fail naming
the item, its page and the rule. Real pydo against the loopback API, answers edited on the wire."""

from __future__ import annotations

import traceback

import pytest

from arcadia_pipelines.devtools.do_builders import invoice_item
from arcadia_pipelines.digitalocean import DigitalOceanListingError, DigitalOceanMalformedError


def _everything_about(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


def set_total(total):
    return lambda body: body["meta"].update(total=total)


def test_a_first_page_without_links_while_meta_total_says_two_pages_is_incomplete(do_server, client):
    for _ in range(250):
        do_server.add_droplet()
    do_server.script_bodies("/v2/droplets", [lambda body: body.pop("links")])

    with pytest.raises(DigitalOceanListingError) as caught:
        client.inventory()

    assert str(caught.value) == "droplet listing incomplete: meta.total 250, got 200 on 1 page(s)"


def test_an_empty_page_while_meta_total_says_ten_is_incomplete(do_server, client):
    for _ in range(10):
        do_server.add_droplet()
    do_server.script_bodies("/v2/droplets", [lambda body: body.update(droplets=[])])

    with pytest.raises(DigitalOceanListingError, match=r"^droplet listing incomplete: meta.total 10, got 0 on 1 page"):
        client.inventory()


@pytest.mark.parametrize("total, message", [
    (12, "volume listing incomplete: meta.total 12, got 10 on 1 page(s)"),
    (8, "volume listing inconsistent: meta.total 8, got 10 on 1 page(s)"),
])
def test_a_listing_that_contradicts_meta_total_is_refused(do_server, client, total, message):
    for _ in range(10):
        do_server.add_volume()
    do_server.script_bodies("/v2/volumes", [set_total(total)])

    with pytest.raises(DigitalOceanListingError) as caught:
        client.volumes()
    assert str(caught.value) == message


def test_a_listing_without_meta_total_is_malformed(do_server, client):
    do_server.add_droplet()
    do_server.script_bodies("/v2/droplets", [lambda body: body.pop("meta")])

    with pytest.raises(DigitalOceanMalformedError) as caught:
        client.droplets()
    assert str(caught.value) == "droplet listing malformed: page 1 has no meta.total (a whole number)"


def test_the_gpu_listing_is_checked_too(do_server, client):
    do_server.add_droplet(size_slug="gpu-h100x1-80gb")
    do_server.add_droplet()
    do_server.script_bodies("/v2/droplets", [lambda body: None, set_total(3)])  # the regular listing, then GPUs

    with pytest.raises(DigitalOceanListingError, match="^GPU droplet listing incomplete: meta.total 3, got 1"):
        client.droplets()


def test_a_listing_that_shifts_between_pages_is_read_again(do_server, client):
    created = {do_server.add_droplet()["id"] for _ in range(250)}
    # Page 2 of the first read sees one droplet fewer (one was deleted while paging): read again.
    do_server.script_bodies("/v2/droplets", [lambda body: None, set_total(249)])

    assert {d["id"] for d in client.droplets()} == created
    pages = [r.query["page"] for r in do_server.requests if r.path == "/v2/droplets" and "type" not in r.query]
    assert pages == ["1", "2", "1", "2"]


def test_a_listing_that_keeps_shifting_fails_after_three_reads(do_server, client):
    for _ in range(250):
        do_server.add_droplet()
    do_server.script_bodies("/v2/droplets", [lambda body: None, set_total(249)] * 3)

    with pytest.raises(DigitalOceanListingError) as caught:
        client.droplets()
    assert str(caught.value) == ("droplet listing kept changing while it was read (3 attempts; meta.total 250 -> 249, "
                                 "0 item(s) listed twice)")


def _edit_item(key: str, position: int, **changes):
    def edit(body):
        body[key][position].update(changes)
        for field, value in changes.items():
            if value is None:
                del body[key][position][field]
    return edit


@pytest.mark.parametrize("changes, message", [
    ({"id": None}, "malformed droplet at page 1, item 2: no id"),
    ({"id": "abc"}, "malformed droplet at page 1, item 2: id must be a positive whole number, got 'abc'"),
    ({"created_at": "yesterday"},
     "malformed droplet 12 (page 1, item 2): created_at is not an ISO 8601 timestamp ('yesterday')"),
    ({"size_slug": None, "size": None}, "malformed droplet 12 (page 1, item 2): no size_slug (nor size.slug)"),
    ({"tags": "tenant:a"}, "malformed droplet 12 (page 1, item 2): tags must be a list of text, got 'tenant:a'"),
    ({"tags": None}, "malformed droplet 12 (page 1, item 2): no tags"),  # required by DigitalOcean's API
])
def test_a_malformed_droplet_is_named_with_its_page_and_rule(do_server, client, token, changes, message):
    do_server.add_droplet(id=11)
    do_server.add_droplet(id=12)
    do_server.script_bodies("/v2/droplets", [_edit_item("droplets", 1, **changes)])

    with pytest.raises(DigitalOceanMalformedError) as caught:
        client.inventory()
    assert str(caught.value) == message
    assert token not in _everything_about(caught.value)


@pytest.mark.parametrize("size, shown", [("abc", "'abc'"), (-5, "-5"), (10 ** 20, str(10 ** 20)), (1.5, "1.5")])
def test_a_volume_with_a_size_that_is_not_whole_gigabytes_is_named(do_server, client, size, shown):
    for _ in range(201):
        do_server.add_volume()
    last = do_server.volumes()[-1]["id"]
    do_server.script_bodies("/v2/volumes", [lambda body: None, _edit_item("volumes", 0, size_gigabytes=size)])

    with pytest.raises(DigitalOceanMalformedError) as caught:
        client.inventory()
    assert str(caught.value) == (f"malformed volume {last} (page 2, item 1): size_gigabytes must be a whole number "
                                 f"of GB from 1 to 1000000, got {shown}")


@pytest.mark.parametrize("changes, rule", [
    ({"amount": "twelve"}, "amount is not a money amount like '12.34' ('twelve')"),
    ({"amount": None}, "amount is not a money amount like '12.34' (None)"),
    ({"amount": "-123456789012345678901.00"},  # would overflow the BIGINT cents column
     "amount is more than 100000000000 USD either way ('-123456789012345678901.00')"),
    ({"duration": "lots"}, "duration is not a non-negative decimal ('lots')"),
    ({"start_time": "2026-13-01"}, "start_time is not an ISO 8601 timestamp ('2026-13-01')"),
])
def test_a_malformed_invoice_item_names_its_line_invoice_and_rule(do_server, client, changes, rule):
    invoice = do_server.add_invoice("2026-04", [invoice_item("1.00"), invoice_item("2.00"), invoice_item("3.00")])
    uuid = invoice["invoice_uuid"]
    do_server.script_bodies(f"/v2/customers/my/invoices/{uuid}", [_edit_item("invoice_items", 2, **changes)])

    with pytest.raises(DigitalOceanMalformedError) as caught:
        client.invoice_lines(uuid)
    assert str(caught.value) == f"malformed invoice item 3 of invoice {uuid} (page 1, item 3): {rule}"


def test_well_formed_records_keep_every_field_exactly(do_server, client):
    do_server.add_droplet(id=7, size_slug="gpu-h100x8-640gb", tags=["a", "b"], created_at="2026-03-01T10:00:00Z")
    do_server.add_volume(id="vol-1", size_gigabytes=250, created_at="2026-03-02T00:00:00Z")
    invoice = do_server.add_invoice("2026-04", [invoice_item("0.005", duration="1.5", resource_id="7")], amount="0.01")

    inventory = client.inventory()
    [line] = client.invoice_lines(invoice["invoice_uuid"])

    [gpu], [vol] = inventory.droplets, inventory.volumes
    assert (gpu.resource_id, gpu.size_slug, gpu.gpu, gpu.tags, gpu.created_at.isoformat()) == (
        "7", "gpu-h100x8-640gb", True, ("a", "b"), "2026-03-01T10:00:00+00:00")
    assert (vol.resource_id, str(vol.quantity), vol.size_slug) == ("vol-1", "250", None)
    assert (line.amount_cents, str(line.duration), line.resource_id) == (1, "1.5", "7")
    [summary] = client.issued_invoices()
    assert (summary.invoice_uuid, summary.amount_cents, summary.invoice_period) == (
        invoice["invoice_uuid"], 1, "2026-04")
