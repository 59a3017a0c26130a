"""issue / pay / void: the allowed moves, their timestamps, 409s, and races with exactly one winner."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import httpx
import pytest
import sqlalchemy as sa

from arcadia_pipelines.warehouse.schema import tenant_invoice_lines, tenant_invoices

ALLOWED = {("draft", "issue"): "issued", ("issued", "pay"): "paid",
           ("draft", "void"): "void", ("issued", "void"): "void"}
STAMP = {"issue": "issued_at", "pay": "paid_at", "void": "voided_at"}


def snapshot(engine, invoice_id):
    with engine.connect() as c:
        inv = c.execute(sa.select(tenant_invoices).where(tenant_invoices.c.id == invoice_id)).one()._asdict()
        lines = [r._asdict() for r in c.execute(sa.select(tenant_invoice_lines)
                                                .where(tenant_invoice_lines.c.invoice_id == invoice_id)
                                                .order_by(tenant_invoice_lines.c.id))]
    return inv, lines


AMOUNTS = ("currency", "subtotal_cents", "tax_cents", "total_cents", "period_start", "tenant_id")


@pytest.mark.parametrize("start", ["draft", "issued", "paid", "void"])
def test_each_move_from_each_status(api, engine, ledger, keys, start):
    for move in ("issue", "pay", "void"):
        invoice_id = ledger.invoice("acme", f"2026-0{1 + ('issue', 'pay', 'void').index(move)}", status=start)
        before, lines_before = snapshot(engine, invoice_id)
        t0 = datetime.now(timezone.utc)
        r = api.post(f"/api/v1/invoices/{invoice_id}/{move}", keys["admin"])
        after, lines_after = snapshot(engine, invoice_id)
        target = ALLOWED.get((start, move))
        if target is None:
            assert r.status_code == 409, (start, move)
            assert r.json()["error"]["code"] == "invalid_transition"
            assert start in r.json()["error"]["message"]
            assert after == before
        else:
            assert r.status_code == 200, (start, move, r.text)
            data = r.json()["data"]
            assert data["status"] == after["status"] == target
            assert after[STAMP[move]] >= t0 and after["updated_at"] == after[STAMP[move]]
            assert data[STAMP[move]] == after[STAMP[move]].isoformat().replace("+00:00", "Z")
            assert [ln["line_no"] for ln in data["lines"]] == [1, 2, 3]
            assert {k: after[k] for k in AMOUNTS} == {k: before[k] for k in AMOUNTS}
        assert lines_after == lines_before


def test_issue_then_pay_keeps_every_timestamp(api, ledger, keys):
    invoice_id = ledger.invoice("acme")
    issued = api.post(f"/api/v1/invoices/{invoice_id}/issue", keys["admin"]).json()["data"]
    paid = api.post(f"/api/v1/invoices/{invoice_id}/pay", keys["admin"]).json()["data"]
    assert paid["issued_at"] == issued["issued_at"] and paid["paid_at"] >= issued["issued_at"]
    assert paid["voided_at"] is None and paid["status"] == "paid"
    again = api.post(f"/api/v1/invoices/{invoice_id}/pay", keys["admin"])
    assert again.status_code == 409
    assert api.post(f"/api/v1/invoices/{invoice_id}/void", keys["admin"]).status_code == 409


def test_moves_on_unknown_invoices_are_404(api, keys):
    for move in ("issue", "pay", "void"):
        r = api.post(f"/api/v1/invoices/424242/{move}", keys["admin"])
        assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")


def _race(base_url: str, key: str, paths: list[str]) -> list[httpx.Response]:
    """POST every path at the same moment, one thread and connection each."""
    barrier = threading.Barrier(len(paths))
    results: list = [None] * len(paths)

    def fire(n: int):
        with httpx.Client(base_url=base_url, timeout=60) as client:
            barrier.wait()
            results[n] = client.post(paths[n], headers={"Authorization": f"Bearer {key}"})

    threads = [threading.Thread(target=fire, args=(n,)) for n in range(len(paths))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_double_issue_has_exactly_one_winner(api, engine, ledger, keys):
    invoices = [ledger.invoice("acme", f"2025-{m:02d}") for m in range(1, 7)]
    for invoice_id in invoices:
        results = _race(api.base_url, keys["admin"], [f"/api/v1/invoices/{invoice_id}/issue"] * 2)
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        [winner] = [r.json()["data"] for r in results if r.status_code == 200]
        after, _ = snapshot(engine, invoice_id)
        assert after["status"] == "issued"
        assert winner["issued_at"] == after["issued_at"].isoformat().replace("+00:00", "Z")


def test_concurrent_pay_and_void_leave_the_winners_status(api, engine, ledger, keys):
    for m in range(1, 5):
        invoice_id = ledger.invoice("acme", f"2025-{m:02d}", status="issued")
        results = _race(api.base_url, keys["admin"],
                        [f"/api/v1/invoices/{invoice_id}/pay", f"/api/v1/invoices/{invoice_id}/void"])
        assert sorted(r.status_code for r in results) == [200, 409]
        [winner] = [r.json()["data"] for r in results if r.status_code == 200]
        after, _ = snapshot(engine, invoice_id)
        assert after["status"] == winner["status"]
        assert (after["paid_at"] is None) != (after["voided_at"] is None)


def test_a_move_racing_a_committed_change_is_refused_not_applied(api, engine, ledger, keys):
    """Another writer voids the draft while holding its row; the API's issue must then fail."""
    invoice_id = ledger.invoice("acme")
    answer = {}
    with engine.begin() as c:
        c.execute(sa.update(tenant_invoices).where(tenant_invoices.c.id == invoice_id)
                  .values(status="void", voided_at=datetime.now(timezone.utc)))
        request = threading.Thread(target=lambda: answer.update(
            r=httpx.post(f"{api.base_url}/api/v1/invoices/{invoice_id}/issue", timeout=60,
                         headers={"Authorization": f"Bearer {keys['admin']}"})))
        request.start()
        time.sleep(0.5)  # the request now waits on our lock
    request.join(60)
    assert answer["r"].status_code == 409
    assert snapshot(engine, invoice_id)[0]["status"] == "void"


def test_an_issued_invoice_keeps_its_amounts_when_the_month_is_recomputed(api, engine, keys):
    """A forced re-run recomputes drafts in place and leaves invoices issued through the API alone."""
    from arcadia_pipelines.billing.periods import Period
    from arcadia_pipelines.monthend.invoices import write_invoices
    from arcadia_pipelines.monthend.quotes import write_quotes
    from arcadia_pipelines.monthend.usage import write_usage
    from arcadia_pipelines_tests.builders import World, at

    april = Period.parse("2026-04")
    world = World(engine).worked_example("pilot").example_tenant("other")

    def rollup(force=False):
        write_usage(engine, april), write_quotes(engine, april), write_invoices(engine, april, force=force)

    rollup()
    by_tenant = {i["tenant_id"]: i for i in api.get("/api/v1/invoices", keys["admin"]).json()["data"]}
    issued = api.post(f"/api/v1/invoices/{by_tenant['pilot']['id']}/issue", keys["admin"]).json()["data"]
    for tenant in ("pilot", "other"):  # a fourth droplet all April: 720 more hours for both
        world.resource(f"dep-{tenant}", f"{tenant}-droplet-extra", at(2026, 4, 1))
    rollup(force=True)
    after = api.get(f"/api/v1/invoices/{issued['id']}", keys["admin"]).json()["data"]
    assert after == issued
    redone = api.get(f"/api/v1/invoices/{by_tenant['other']['id']}", keys["admin"]).json()["data"]
    assert redone["status"] == "draft" and redone["subtotal_cents"] == 6422 + 720
