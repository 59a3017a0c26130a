"""Issue 22: a tenant with a draft whose month now has bad input keeps that draft, held back
(`held_reason`): it cannot be issued (409 `invoice_held`), the run says "draft kept and held:
<rule>" instead of "got no invoice", its usage and evidence stay so `explain` stays true, and a
re-run once the input is fixed recomputes it and frees it. For the three kinds of bad input the
issue found: an unknown plan, mixed currencies and an out-of-bounds volume."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from arcadia_pipelines.api.keys import create_key
from arcadia_pipelines.defs.invoicing.invoice_report import failure_description, invoice_report
from arcadia_pipelines.monthend.explain import explain_invoice
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.api.conftest import serve
from arcadia_pipelines_tests.builders import World, at, rows

from .rollup import APRIL, rollup

EXE = str(Path(sys.executable).with_name("arcadia-pipelines"))
HELD, OTHER = "held", "other"
LATE_DROPLET_CENTS = 24  # 24 more droplet hours at 1 cent, all overage


def world(engine) -> World:
    w = World(engine)
    w.plan("studio", 5000, meters=[("droplet_hours", "droplet", 1488, 1), ("volume_gb_hours", "volume", 0, "0.005")])
    w.plan("studio_us", 4000, currency="USD")
    for tenant in (HELD, OTHER):
        dep = f"dep-{tenant}"
        w.tenant(tenant).deployment(dep, tenant).subscription(f"sub-{tenant}", tenant, dep, "studio", at(2026, 3, 1))
        for n in range(3):
            w.resource(dep, f"{tenant}-droplet-{n}", at(2026, 3, 15))
        w.resource(dep, f"{tenant}-vol", at(2026, 3, 15), kind="volume", quantity=50, size_slug=None)
    return w


def _execute(w: World, statement: str) -> None:
    with w.engine.begin() as c:
        c.exec_driver_sql(statement)


def _second_currency(w: World) -> None:
    w.deployment("dep-held-us", HELD).subscription("sub-held-us", HELD, "dep-held-us", "studio_us", at(2026, 3, 1))


def _drop_second_currency(w: World) -> None:
    _execute(w, "DELETE FROM subscriptions WHERE id = 'sub-held-us'")


# (kind, rule, break it, fix it)
KINDS = [
    ("unknown_plan", "unknown_plan_version",
     lambda w: _execute(w, "UPDATE subscriptions SET plan_code = 'platinum' WHERE id = 'sub-held'"),
     lambda w: _execute(w, "UPDATE subscriptions SET plan_code = 'studio' WHERE id = 'sub-held'")),
    ("mixed_currencies", "mixed_currencies", _second_currency, _drop_second_currency),
    ("volume_out_of_bounds", "quantity_out_of_bounds",
     lambda w: _execute(w, "UPDATE metered_resources SET quantity = '100000000000000000000' "
                           "WHERE resource_id = 'held-vol'"),
     lambda w: _execute(w, "UPDATE metered_resources SET quantity = '50' WHERE resource_id = 'held-vol'")),
]


def draft(engine, tenant: str = HELD) -> tuple[dict, list[dict]]:
    [inv] = rows(engine, t.tenant_invoices, tenant_id=tenant)
    lines = rows(engine, t.tenant_invoice_lines, order_by="line_no", invoice_id=inv["id"])
    return inv, [{k: v for k, v in ln.items() if k != "id"} for ln in lines]


def usage_of(engine, tenant: str = HELD) -> tuple[list, list]:
    return (rows(engine, t.deployment_usage, order_by="subscription_id meter", tenant_id=tenant),
            rows(engine, t.usage_evidence, order_by="resource_id", tenant_id=tenant))


AMOUNTS = ("currency", "subtotal_cents", "tax_cents", "total_cents", "updated_at", "status", "number")


@pytest.mark.parametrize("kind, rule, break_it, fix_it", KINDS, ids=[k[0] for k in KINDS])
def test_a_stale_draft_is_held_refused_and_freed_by_a_fixed_rerun(engine, kind, rule, break_it, fix_it):
    w = world(engine)
    rollup(engine)
    stale, stale_lines = draft(engine)
    usage_before = usage_of(engine)
    assert stale["held_reason"] is None and usage_before[1]

    break_it(w)
    w.resource("dep-held", "held-late", at(2026, 4, 1), at(2026, 4, 2))  # the data moved on meanwhile
    for force in (True, False):  # a forced and a plain re-run alike
        result = rollup(engine, force=force)
        assert list(result.held) == [HELD] and result.held[HELD].startswith(f"{rule}: ")
        assert (result.created, result.recomputed) == ([], [OTHER] if force else [])
        assert result.left_alone == ({HELD: f"draft kept and held: {rule}"} if force else {})
        inv, lines = draft(engine)
        assert {k: inv[k] for k in AMOUNTS} == {k: stale[k] for k in AMOUNTS} and lines == stale_lines
        assert inv["held_reason"] == result.held[HELD]

    # what the run and the CLI say: kept and held, not "no invoice"
    report = invoice_report(engine, [APRIL])
    description = failure_description(report)
    assert "got no invoice" not in description
    assert "1 tenant(s) have their draft kept and held back" in description
    assert f"- tenant {HELD}: draft kept and held: {rule}: " in description
    assert report[APRIL].metadata["held_drafts"] == f"{HELD} 2026-04 (draft kept and held: {rule})"

    # the rows the draft was made from are kept: explain still shows its evidence
    if kind == "volume_out_of_bounds":  # the usage stage refuses it: its usage as it was
        assert usage_of(engine) == usage_before
    with engine.connect() as c:
        explained = explain_invoice(c, stale["id"])
    overage = [ln for ln in explained["lines"] if ln["kind"] == "overage"]
    assert overage and all(ln["evidence"] for ln in overage)
    assert not any("no usage evidence" in (ln["note"] or "") for ln in overage)
    assert explained["invoice"]["held_reason"] == inv["held_reason"]

    with serve(engine) as api:
        admin = create_key(engine, "platform_admin")[1]
        refused = api.post(f"/api/v1/invoices/{stale['id']}/issue", admin)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "invoice_held"
        assert rule in refused.json()["error"]["message"]
        assert draft(engine)[0]["number"] is None

        fix_it(w)
        result = rollup(engine)  # a plain re-run: nothing to force, the held draft is known stale
        assert result.recomputed == [HELD] and result.held == {} and result.skipped_existing == [OTHER]
        fixed, _ = draft(engine)
        assert fixed["id"] == stale["id"] and fixed["held_reason"] is None
        assert fixed["subtotal_cents"] == stale["subtotal_cents"] + LATE_DROPLET_CENTS
        issued = api.post(f"/api/v1/invoices/{stale['id']}/issue", admin)
        assert issued.status_code == 200, issued.text
        assert issued.json()["data"]["number"] == "INV-000001"
    with engine.connect() as c:
        assert not c.scalar(sa.select(sa.func.count()).select_from(t.billing_errors))


def test_a_tenant_without_a_draft_is_still_refused_without_one(engine):
    """No draft to keep: the tenant gets no invoice, and the run says exactly that."""
    w = world(engine)
    KINDS[0][2](w)
    result = rollup(engine)
    assert result.created == [OTHER] and result.held == {}
    assert [i["tenant_id"] for i in rows(engine, t.tenant_invoices)] == [OTHER]
    description = failure_description(invoice_report(engine, [APRIL]))
    assert description.startswith("1 tenant(s) got no invoice because of bad input; every other tenant was invoiced")
    assert "draft kept and held" not in description


@pytest.mark.slow  # the CLI as a subprocess
def test_the_cli_rollup_says_the_draft_is_kept_and_held(engine, warehouse_url, tmp_path):
    w = world(engine)
    rollup(engine)
    KINDS[2][2](w)
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": warehouse_url}
    p = subprocess.run([EXE, "rollup", "--period", "2026-04", "--force"], env=env, capture_output=True, text=True,
                       timeout=180, check=False)
    assert p.returncode == 1
    [line] = p.stderr.strip().splitlines()
    assert "got no invoice" not in line
    assert f"tenant {HELD}: draft kept and held: quantity_out_of_bounds: metered volume held-vol" in line
    assert draft(engine)[0]["held_reason"].startswith("quantity_out_of_bounds: ")
