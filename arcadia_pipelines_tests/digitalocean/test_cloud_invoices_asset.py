"""`cloud_invoices` through Dagster: DigitalOcean's April bill, paginated, in exact cents, mapped to
deployments; a month not issued yet; re-runs and re-issues."""

from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from arcadia_pipelines.definitions import defs
from arcadia_pipelines.defs.digitalocean.jobs import cloud_costs_daily
from arcadia_pipelines.devtools.do_builders import invoice_item
from arcadia_pipelines.monthend.cloud_bills import resource_kind
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

from .runs import APRIL, failure_message, materialization, run_cloud_invoices

ITEMS = "/v2/customers/my/invoices/{}"
REPO = defs.get_repository_def()


@pytest.fixture
def metered(engine):
    """dep-acme: droplet 101 and volume vol-a all April; droplet 102 moves to dep-bolt on the 10th;
    droplet 103 untagged."""
    w = World(engine).tenant("acme").tenant("bolt").deployment("dep-acme", "acme").deployment("dep-bolt", "bolt")
    w.resource("dep-acme", "101", at(2026, 3, 1))
    w.resource("dep-acme", "vol-a", at(2026, 3, 1), kind="volume", quantity=100, size_slug=None)
    w.resource("dep-acme", "102", at(2026, 3, 1), ended_at=at(2026, 4, 10))
    w.resource("dep-bolt", "102", at(2026, 4, 10))
    w.resource(None, "103", at(2026, 3, 1))
    return w


def april_items():
    """Five attributable or named items, then 230 bandwidth lines: two pages of items."""
    return [
        invoice_item("24.00", resource_id="101", resource_uuid="u-101", description="acme-web-1"),
        invoice_item("10.00", product="Volumes", resource_uuid="vol-a", description="acme-data"),
        invoice_item("24.00", resource_id="102", resource_uuid="u-102", description="moved"),
        invoice_item("0.01", resource_id="103", description="untagged"),
        invoice_item("12.00", product="Load Balancers", resource_uuid="lb-1", description="lb"),
        *(invoice_item(f"0.{n % 100:02d}", product="Bandwidth", description=f"bw {n}") for n in range(230)),
    ]


def stored(engine):
    return (rows(engine, t.cloud_invoices),
            [(i["line_no"], i["product"], i["resource_kind"], i["amount_cents"], i["deployment_id"])
             for i in rows(engine, t.cloud_invoice_items, order_by="invoice_uuid line_no")])


def test_the_april_bill_lands_in_cents_with_items_mapped_to_deployments(engine, metered, do_server, instance):
    items = april_items()
    invoice = do_server.add_invoice("2026-04", items)
    do_server.add_invoice("2026-03", [invoice_item("1.00")])

    result = run_cloud_invoices(instance)

    assert result.success
    expected_cents = 2400 + 1000 + 2400 + 1 + 1200 + sum(n % 100 for n in range(230))
    [bill], lines = stored(engine)
    assert (bill["invoice_uuid"], str(bill["period_start"]), bill["amount_cents"], bill["currency"]) == (
        invoice["invoice_uuid"], APRIL, expected_cents, "USD")
    assert len(lines) == 235 and [ln[0] for ln in lines] == list(range(1, 236))
    assert lines[:6] == [
        (1, "Droplets", "droplet", 2400, "dep-acme"),
        (2, "Volumes", "volume", 1000, "dep-acme"),
        (3, "Droplets", "droplet", 2400, "dep-bolt"),   # 21 days on dep-bolt beat 9 on dep-acme
        (4, "Droplets", "droplet", 1, None),
        (5, "Load Balancers", "load_balancer", 1200, None),
        (6, "Bandwidth", "bandwidth", 0, None)]
    assert [i["description"] for i in rows(engine, t.cloud_invoice_items, order_by="line_no")][-1] == "bw 229"
    pages = [r.query.get("page") for r in do_server.requests if r.path == ITEMS.format(invoice["invoice_uuid"])]
    assert pages == ["1", "2"]
    meta = materialization(result, "cloud_invoices")
    assert (meta["dagster/row_count"], meta["mapped_items"], meta["unmapped_items"]) == (235, 3, 232)
    assert meta["total"] == f"USD {expected_cents // 100}.{expected_cents % 100:02d}"


def test_a_rerun_replaces_the_month_and_a_reissued_invoice_replaces_the_old_one(engine, metered, do_server,
                                                                                instance):
    first = do_server.add_invoice("2026-04", april_items(), updated_at="2026-05-02T00:00:00Z")
    assert run_cloud_invoices(instance).success
    before = stored(engine)
    assert run_cloud_invoices(instance).success
    assert stored(engine) == before

    second = do_server.add_invoice("2026-04", [invoice_item("30.00", resource_id="101")],
                                   updated_at="2026-05-09T00:00:00Z")
    result = run_cloud_invoices(instance)
    assert result.success
    [bill], lines = stored(engine)
    assert (bill["invoice_uuid"], bill["amount_cents"]) == (second["invoice_uuid"], 3000)
    assert lines == [(1, "Droplets", "droplet", 3000, "dep-acme")]
    assert materialization(result, "cloud_invoices")["replaced_invoices"] == first["invoice_uuid"]


def test_a_month_digitalocean_has_not_billed_yet_fails_clearly_and_writes_nothing(engine, metered, do_server,
                                                                                  instance):
    do_server.add_invoice("2026-03", [invoice_item("1.00")])
    do_server.set_invoice_preview("2026-04", [invoice_item("5.00")])
    result = run_cloud_invoices(instance)
    assert not result.success
    assert failure_message(result).startswith("DigitalOcean has not issued its invoice for 2026-04 yet")
    assert stored(engine) == ([], [])


def test_the_daily_schedule_asks_for_the_month_just_ended_until_its_bill_is_stored(engine, metered, do_server,
                                                                                   instance):
    may_2 = datetime(2026, 5, 2, 6, tzinfo=timezone.utc)
    [request] = cloud_costs_daily.evaluate_tick(
        dg.build_schedule_context(instance=instance, scheduled_execution_time=may_2, repository_def=REPO)).run_requests
    assert request.partition_key == APRIL
    do_server.add_invoice("2026-04", [invoice_item("1.00")])
    assert run_cloud_invoices(instance).success
    skipped = cloud_costs_daily.evaluate_tick(
        dg.build_schedule_context(instance=instance, scheduled_execution_time=may_2 + timedelta(days=1),
                                  repository_def=REPO))
    assert skipped.run_requests == [] and "already stored" in skipped.skip_message


@pytest.mark.parametrize("product, kind", [
    ("Droplets", "droplet"), ("GPU Droplets", "droplet"), ("Droplet Backups", "backup"),
    ("Volumes", "volume"), ("Block Storage", "volume"), ("Snapshots", "snapshot"),
    ("Kubernetes Clusters", "kubernetes"), ("Spaces Subscription", "spaces"),
    ("Managed Databases", "database"), ("Reserved IPs", "reserved_ip"), ("Something New", None), (None, None),
])
def test_products_map_to_resource_kinds(product, kind):
    assert resource_kind(product) == kind


def test_a_malformed_amount_fails_clearly_and_stores_nothing(engine, do_server, instance):
    invoice = do_server.add_invoice("2026-04", [invoice_item("1,234.50", description="odd")], amount="1234.50")
    result = run_cloud_invoices(instance)
    assert not result.success
    assert failure_message(result) == (
        "could not read DigitalOcean's invoices: malformed invoice item 1 of invoice "
        f"{invoice['invoice_uuid']} (page 1, item 1): amount is not a money amount like '12.34' ('1,234.50'); "
        "nothing stored")
    assert rows(engine, t.cloud_invoices) == [] and rows(engine, t.cloud_invoice_items) == []
