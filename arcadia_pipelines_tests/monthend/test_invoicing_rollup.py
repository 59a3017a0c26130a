"""The month-end rollup on SQLite and PostgreSQL: amounts, idempotency, force, bad input."""

from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.monthend.billing_errors_store import period_errors
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

from .rollup import APRIL, rollup

LINE_COLS = ("kind", "description", "amount_cents", "deployment_id", "subscription_id", "resource_kind", "meter")


def invoice_lines(engine, tenant):
    [inv] = rows(engine, t.tenant_invoices, tenant_id=tenant)
    return inv, [{k: ln[k] for k in LINE_COLS} for ln in
                 rows(engine, t.tenant_invoice_lines, order_by="line_no", invoice_id=inv["id"])]


def snapshot(engine):
    return {name: rows(engine, getattr(t, name)) for name in
            ("deployment_usage", "deployment_quotes", "tenant_invoices", "tenant_invoice_lines")}


def test_worked_example_and_a_rerun_changes_nothing(engine):
    World(engine).worked_example()
    result = rollup(engine)
    assert result.created == ["pilot"]
    inv, lines = invoice_lines(engine, "pilot")
    assert [(ln["kind"], ln["amount_cents"]) for ln in lines] == [
        ("plan_base", 5000), ("addon", 750), ("overage", 672), ("tax", 642)]
    assert (inv["subtotal_cents"], inv["tax_cents"], inv["total_cents"]) == (6422, 642, 7064)
    assert (inv["status"], inv["currency"], str(inv["period_end"])) == ("draft", "AUD", "2026-05-01")
    assert lines[1]["description"] == "Addon: storage_50gb"
    assert lines[0] == {"kind": "plan_base", "description": "Plan: Studio (full month)", "amount_cents": 5000,
                        "deployment_id": "dep-pilot", "subscription_id": "sub-pilot", "resource_kind": "plan",
                        "meter": None}
    assert (lines[1]["resource_kind"], lines[2]["resource_kind"], lines[2]["meter"]) == (
        "volume", "droplet", "droplet_hours")
    assert lines[3] == {"kind": "tax", "description": "GST 10%", "amount_cents": 642, "deployment_id": None,
                        "subscription_id": None, "resource_kind": None, "meter": None}
    [usage] = rows(engine, t.deployment_usage)
    assert (usage["meter"], usage["quantity"]) == ("droplet_hours", Decimal(2160))

    before = snapshot(engine)
    again = rollup(engine)
    assert (again.created, again.skipped_existing) == ([], ["pilot"])
    assert snapshot(engine) == before


def test_partial_hours_round_up_per_interval_and_volumes_count_gigabyte_hours(engine):
    w = World(engine)
    w.plan("studio", 0, meters=[("droplet_hours", "droplet", 0, 1), ("volume_gb_hours", "volume", 0, 1)])
    w.tenant("t1").deployment("d1", "t1").subscription("s1", "t1", "d1", "studio", at(2026, 4, 1))
    w.resource("d1", "a", at(2026, 4, 2, 10, 0, 1), at(2026, 4, 2, 11, 0, 1))          # exactly 1 h
    w.resource("d1", "b", at(2026, 4, 2, 10), at(2026, 4, 2, 10, 0, 1))                 # 1 s -> 1 h
    w.resource("d1", "c", at(2026, 4, 30, 22, 30))                                      # open: 1.5 h -> 2 h
    w.resource("d1", "d", at(2026, 3, 31, 23, 30), at(2026, 4, 1, 0, 30))               # 30 min inside
    w.resource("d1", "e", at(2026, 5, 1), None)                                         # after the month
    w.resource("d1", "vol", at(2026, 4, 29, 12), kind="volume", quantity=50, size_slug=None)  # 36 h * 50
    rollup(engine)
    usage = {u["meter"]: u["quantity"] for u in rows(engine, t.deployment_usage)}
    assert usage == {"droplet_hours": Decimal(1 + 1 + 2 + 1), "volume_gb_hours": Decimal(1800)}


def test_fractional_sizes_are_metered_exactly_beside_whole_ones(engine):
    """Sizes are whole numbers in practice; a fractional one must never go through float,
    which holds about 16 digits."""
    w = World(engine)
    w.plan("studio", 0, meters=[("volume_gb_hours", "volume", 0, "0.1")])
    for n in (1, 2):
        w.tenant(f"t{n}").deployment(f"d{n}", f"t{n}").subscription(f"s{n}", f"t{n}", f"d{n}", "studio", at(2026, 4, 1))
    w.resource("d1", "v1", at(2026, 4, 30, 21), kind="volume", quantity="0.1000000000000000001",
               size_slug=None)
    w.resource("d2", "v2", at(2026, 4, 30, 21), kind="volume", quantity=7, size_slug=None)
    rollup(engine)
    usage = {u["subscription_id"]: u["quantity"] for u in rows(engine, t.deployment_usage)}
    assert usage == {"s1": Decimal("0.3000000000000000003"), "s2": Decimal(21)}  # 3 h each


def test_usage_is_split_between_subscriptions_at_a_plan_change(engine):
    w = World(engine)
    w.plan("starter", 1500, meters=[("droplet_hours", "droplet", 744, "1.5")])
    w.plan("studio", 5000, meters=[("droplet_hours", "droplet", 1488, 1)])
    w.tenant("t1").deployment("d1", "t1")
    w.subscription("old", "t1", "d1", "starter", at(2026, 2, 1), at(2026, 4, 11, 12))
    w.subscription("new", "t1", "d1", "studio", at(2026, 4, 11, 12))
    w.resource("d1", "r1", at(2026, 2, 1)).resource("d1", "r2", at(2026, 2, 1))
    rollup(engine)
    usage = {u["subscription_id"]: u["quantity"] for u in rows(engine, t.deployment_usage)}
    assert usage == {"old": Decimal(2 * 252), "new": Decimal(2 * 468)}
    inv, lines = invoice_lines(engine, "t1")
    assert [(ln["subscription_id"], ln["kind"], ln["amount_cents"]) for ln in lines] == [
        ("old", "plan_base", 550), ("old", "overage", 347), ("new", "plan_base", 3333), (None, "tax", 423)]
    assert inv["total_cents"] == 4653


def test_fractional_unit_prices_survive_storage_exactly(engine):
    w = World(engine)
    w.plan("micro", 0, meters=[("droplet_hours", "droplet", 0, "0.125")])
    w.tenant("t1", country="NZ").deployment("d1", "t1").subscription("s1", "t1", "d1", "micro", at(2026, 1, 1))
    for n in range(2):
        w.resource("d1", f"r{n}", at(2026, 1, 1))
    w.resource("d1", "r9", at(2026, 4, 30), at(2026, 4, 30, 12))   # 12 h
    rollup(engine)
    inv, lines = invoice_lines(engine, "t1")
    # (2 * 720 + 12) h * 0.125 = 181.5 -> 182; NZ has no rate: no tax line
    assert [(ln["kind"], ln["amount_cents"]) for ln in lines] == [("plan_base", 0), ("overage", 182)]
    [quote] = rows(engine, t.deployment_quotes, kind="overage")
    assert (quote["unit_price_cents"], quote["quantity"]) == (Decimal("0.125"), Decimal(1452))
    assert (inv["tax_cents"], inv["total_cents"]) == (0, 182)


def test_force_recomputes_drafts_in_place_and_leaves_issued_alone(engine):
    w = World(engine).worked_example("pilot")
    w.example_tenant("issued_one")
    rollup(engine)
    ids = {i["tenant_id"]: i["id"] for i in rows(engine, t.tenant_invoices)}
    with engine.begin() as c:
        c.execute(sa.update(t.tenant_invoices).where(t.tenant_invoices.c.tenant_id == "issued_one")
                  .values(status="issued"))
    issued_before = invoice_lines(engine, "issued_one")
    w.resource("dep-pilot", "late-droplet", at(2026, 4, 1), at(2026, 4, 2))   # 24 more hours
    w.resource("dep-issued_one", "late-droplet-2", at(2026, 4, 1), at(2026, 4, 2))

    assert rollup(engine).skipped_existing == ["issued_one", "pilot"]
    assert invoice_lines(engine, "pilot")[0]["total_cents"] == 7064

    result = rollup(engine, force=True)
    assert (result.recomputed, result.left_alone) == (["pilot"], {"issued_one": "issued"})
    inv, lines = invoice_lines(engine, "pilot")
    assert inv["id"] == ids["pilot"]
    assert [ln["amount_cents"] for ln in lines] == [5000, 750, 696, 645]   # 6446 * 0.1 = 644.6
    assert inv["total_cents"] == 7091 and inv["updated_at"] > inv["created_at"]
    assert invoice_lines(engine, "issued_one") == issued_before


def test_bad_tenants_get_no_invoice_and_named_errors_while_others_are_invoiced(engine):
    w = World(engine).worked_example("good")
    w.plan("studio_us", 4000, currency="USD")
    w.example_tenant("no_end")
    with engine.begin() as c:
        c.execute(sa.update(t.subscriptions).where(t.subscriptions.c.id == "sub-no_end")
                  .values(status="cancelled"))
    w.tenant("mixed").deployment("dm", "mixed").deployment("dm2", "mixed")
    w.subscription("m1", "mixed", "dm", "studio", at(2026, 1, 1))
    w.subscription("m2", "mixed", "dm2", "studio_us", at(2026, 1, 1))
    w.tenant("ghost_plan").deployment("dg", "ghost_plan")
    w.subscription("g1", "ghost_plan", "dg", "platinum", at(2026, 1, 1))
    w.tenant("neg").deployment("dn", "neg").subscription("n1", "neg", "dn", "studio", at(2026, 1, 1))
    w.resource("dn", "vol-neg", at(2026, 4, 1), kind="volume", quantity=-10)
    w.tenant("backwards").deployment("db", "backwards")
    w.subscription("b1", "backwards", "db", "studio", at(2026, 1, 1))
    w.resource("db", "r-back", at(2026, 4, 10), at(2026, 4, 9))
    w.tenant("thief").subscription("x1", "thief", "dep-good", "studio", at(2026, 1, 1))

    rollup(engine)
    assert [i["tenant_id"] for i in rows(engine, t.tenant_invoices)] == ["good"]
    assert invoice_lines(engine, "good")[0]["total_cents"] == 7064
    with engine.connect() as c:
        errors = {(e.tenant_id, e.rule) for e in period_errors(c, APRIL)}
    assert errors == {
        ("no_end", "cancelled_without_ended_at"), ("mixed", "mixed_currencies"),
        ("ghost_plan", "unknown_plan_version"), ("neg", "negative_quantity"),
        ("backwards", "interval_ends_before_start"), ("thief", "deployment_of_another_tenant"),
    }
    with engine.connect() as c:
        messages = {e.tenant_id: str(e) for e in period_errors(c, APRIL)}
    assert "vol-neg" in messages["neg"] and "r-back" in messages["backwards"]

    # fixing the data and re-running invoices the fixed tenant and keeps the good one as it was
    with engine.begin() as c:
        c.execute(sa.update(t.subscriptions).where(t.subscriptions.c.id == "g1").values(plan_code="studio"))
    result = rollup(engine)
    assert result.created == ["ghost_plan"] and result.skipped_existing == ["good"]
    with engine.connect() as c:
        assert "ghost_plan" not in {e.tenant_id for e in period_errors(c, APRIL)}


def test_force_reports_a_draft_it_cannot_recompute(engine):
    w = World(engine).worked_example("good")
    w.example_tenant("gone")
    rollup(engine)
    with engine.begin() as c:   # retroactively cancelled before April: nothing billable now
        c.execute(sa.update(t.subscriptions).where(t.subscriptions.c.id == "sub-gone")
                  .values(status="cancelled", ended_at=at(2026, 3, 1)))
    result = rollup(engine, force=True)
    assert result.recomputed == ["good"]
    assert result.left_alone == {"gone": "draft kept: bad input or nothing billable now"}


def test_a_broken_interval_from_another_month_does_not_block_this_one(engine):
    w = World(engine).worked_example("old")
    w.resource("dep-old", "ancient", at(2024, 3, 10), at(2024, 3, 9))
    w.resource("dep-old", "ancient-vol", at(2024, 1, 1), at(2024, 2, 1), kind="volume", quantity=-5)
    rollup(engine)
    assert invoice_lines(engine, "old")[0]["total_cents"] == 7064
    with engine.connect() as c:
        assert period_errors(c, APRIL) == []
