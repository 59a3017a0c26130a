"""The month-to-date preview: the same engine as the month-end, never stored."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from arcadia_pipelines.monthend.preview import BadInput, UnknownTenant, preview
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

from .rollup import rollup

LAST_INSTANT = datetime(2026, 4, 30, 23, 59, 59, 999999, tzinfo=timezone.utc)
STORED = ("deployment_usage", "deployment_quotes", "tenant_invoices", "tenant_invoice_lines", "billing_errors")


def stored(engine):
    return {name: rows(engine, getattr(t, name)) for name in STORED}


def plan_change_world(engine):
    """Tenant `mover` leaves plan studio on 15 April at noon for plan starter, on one deployment
    with droplets and a volume coming and going; tenant `pilot` is the contract's worked example."""
    w = World(engine).worked_example().tax_rate("AU", "0.1", "GST 10%")
    w.plan("starter", 1500, meters=[("droplet_hours", "droplet", 100, "1.5"), ("volume_gb_hours", "volume", 0, "0.01")])
    w.tenant("mover").deployment("dep-m", "mover")
    w.subscription("sub-m1", "mover", "dep-m", "studio", at(2026, 3, 1), ended_at=at(2026, 4, 15, 12))
    w.subscription("sub-m2", "mover", "dep-m", "starter", at(2026, 4, 15, 12), addons=[("storage_50gb", 2)])
    w.resource("dep-m", "m-always", at(2026, 3, 20, 7, 13))
    w.resource("dep-m", "m-short", at(2026, 4, 10, 9, 30, 5), at(2026, 4, 20, 1, 0, 1))
    w.resource("dep-m", "m-late", at(2026, 4, 28, 23, 59, 59))
    w.resource("dep-m", "m-vol", at(2026, 4, 2, 3), kind="volume", quantity=50, size_slug=None)
    return w


def invoice_as_json_lines(engine, tenant):
    [inv] = rows(engine, t.tenant_invoices, tenant_id=tenant)
    lines = rows(engine, t.tenant_invoice_lines, order_by="line_no", invoice_id=inv["id"])
    return inv, [(ln["kind"], ln["subscription_id"], ln["description"], ln["quantity"], ln["unit_price_cents"],
                  ln["amount_cents"]) for ln in lines]


@pytest.mark.parametrize("tenant", ["pilot", "mover"])
def test_as_of_the_last_instant_both_answers_equal_the_invoice_to_the_cent(engine, tenant):
    plan_change_world(engine)
    rollup(engine)
    inv, lines = invoice_as_json_lines(engine, tenant)
    with engine.connect() as conn:
        p = preview(conn, tenant, LAST_INSTANT).as_json()
    assert (p["period"], p["as_of"]) == ("2026-04", "2026-04-30T23:59:59.999999Z")
    for label in ("metered_so_far", "projected_month_end"):
        got = p[label]
        assert [(ln["kind"], ln["subscription_id"], ln["description"], Decimal(ln["quantity"]),
                 Decimal(ln["unit_price_cents"]), ln["amount_cents"]) for ln in got["lines"]] == lines, label
        assert (got["subtotal_cents"], got["tax_cents"], got["total_cents"], got["currency"]) == (
            inv["subtotal_cents"], inv["tax_cents"], inv["total_cents"], inv["currency"])
    if tenant == "mover":  # the plan change: two prorated plans, both touching 15 April
        assert [ln[2] for ln in lines if ln[0] == "plan_base"] == [
            "Plan: Studio (1/2 of the month)", "Plan: Starter (8/15 of the month)"]
        assert {ln[0] for ln in lines} == {"plan_base", "addon", "overage", "tax"}


def test_mid_month_meters_half_the_month_and_projects_running_resources_to_its_end(engine):
    w = World(engine).tax_rate("AU", "0.1", "GST 10%")
    w.plan("metered", 1000, meters=[("droplet_hours", "droplet", 0, 1)])
    w.tenant("half").deployment("d", "half").subscription("s", "half", "d", "metered", at(2026, 3, 1))
    w.resource("d", "running-1", at(2026, 3, 1))
    w.resource("d", "running-2", at(2026, 4, 1))
    w.resource("d", "stopped", at(2026, 4, 1), at(2026, 4, 11))        # 240 h, ended before as_of
    w.resource("d", "ends-later", at(2026, 4, 1), at(2026, 4, 20))     # ran at as_of: projected to month end
    w.resource("d", "starts-later", at(2026, 4, 20))                   # not known as of 15 April
    before = stored(engine)
    with engine.connect() as conn:
        p = preview(conn, "half", datetime(2026, 4, 15, 23, 59, 59, 999999, tzinfo=timezone.utc)).as_json()
    so_far, projected = p["metered_so_far"], p["projected_month_end"]
    assert [(ln["kind"], ln["quantity"], ln["amount_cents"]) for ln in so_far["lines"]] == [
        ("plan_base", "1", 1000), ("overage", str(3 * 360 + 240), 3 * 360 + 240), ("tax", "0.1", 232)]
    assert [(ln["kind"], ln["quantity"], ln["amount_cents"]) for ln in projected["lines"]] == [
        ("plan_base", "1", 1000), ("overage", str(3 * 720 + 240), 3 * 720 + 240), ("tax", "0.1", 340)]
    assert (so_far["total_cents"], projected["total_cents"]) == (2320 + 232, 3400 + 340)
    assert stored(engine) == before  # never stored, never an invoice


def test_a_tenant_with_bad_input_gets_the_rule_and_an_unknown_tenant_is_named(engine):
    w = World(engine)
    w.plan("metered", 1000, meters=[("droplet_hours", "droplet", 0, 1)])
    w.tenant("bad").deployment("d", "bad").subscription("s", "bad", "d", "metered", at(2026, 4, 1), at(2026, 5, 1))
    w.resource("d", "minus", at(2026, 4, 2), at(2026, 4, 3), quantity=-1)
    with engine.connect() as conn:
        with pytest.raises(BadInput, match="tenant bad, subscription s: negative_quantity"):
            preview(conn, "bad", at(2026, 4, 10))
        with pytest.raises(UnknownTenant, match="no tenant 'nobody'"):
            preview(conn, "nobody", at(2026, 4, 10))
        nothing = preview(conn, "bad", at(2026, 6, 10)).as_json()
    assert (nothing["period"], nothing["metered_so_far"]["lines"], nothing["projected_month_end"]["total_cents"]) \
        == ("2026-06", [], 0)
