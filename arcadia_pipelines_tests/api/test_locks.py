"""A held lock never makes the API hang or answer 500: reads go on, moves get a bounded 503."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

import httpx
import pytest
import sqlalchemy as sa

from arcadia_pipelines.api.engines import LOCK_WAIT_S, POOL_WAIT_S
from arcadia_pipelines.monthend.stage import month_end_stage
from arcadia_pipelines.warehouse.schema import tenant_invoices

pytestmark = pytest.mark.slow  # waits out real lock timeouts

MOVE_BOUND_S = LOCK_WAIT_S + POOL_WAIT_S + 5  # the documented waits, plus slack for a loaded machine
READ_BOUND_S = 1.0  # issue 11: a GET answers within 1 s while a writer holds the warehouse
# with 20 moves in flight on a 2-core machine: still less than any lock or connection wait would take
READ_UNDER_LOAD_S = LOCK_WAIT_S


def timed(call):
    t0 = time.monotonic()
    response = call()
    return response, time.monotonic() - t0


def assert_busy(response, seconds: float):
    assert response.status_code == 503, response.text
    assert response.json() == {"error": {"code": "busy", "message": response.json()["error"]["message"]}}
    assert int(response.headers["retry-after"]) >= 1
    assert seconds < MOVE_BOUND_S, seconds


def test_reads_answer_and_a_move_is_answered_busy_while_a_month_end_stage_writes(api, engine, ledger, keys):
    held = ledger.invoice("acme", "2026-04")
    other = ledger.invoice("globex", "2026-04")
    admin = keys["admin"]
    with month_end_stage(engine) as stage:  # a month-end stage in progress, its write not yet committed
        stage.execute(sa.update(tenant_invoices).where(tenant_invoices.c.id == held)
                      .values(status="void", voided_at=datetime.now(timezone.utc)))
        listed, seconds = timed(lambda: api.get("/api/v1/invoices", admin))
        assert listed.status_code == 200 and seconds < READ_BOUND_S, (listed.text, seconds)
        assert {i["id"]: i["status"] for i in listed.json()["data"]} == {held: "draft", other: "draft"}
        shown, seconds = timed(lambda: api.get(f"/api/v1/invoices/{held}", keys["acme"]))
        assert shown.status_code == 200 and seconds < READ_BOUND_S, (shown.text, seconds)
        assert shown.json()["data"]["status"] == "draft"  # the last committed state

        assert_busy(*timed(lambda: api.post(f"/api/v1/invoices/{held}/issue", admin)))
        unrelated = api.post(f"/api/v1/invoices/{other}/issue", admin)
        if engine.dialect.name == "sqlite":  # one write lock for the whole database
            assert_busy(unrelated, 0)
        else:  # a row lock on one invoice only
            assert unrelated.status_code == 200
    assert api.get(f"/api/v1/invoices/{held}", admin).json()["data"]["status"] == "void"
    late = api.post(f"/api/v1/invoices/{held}/issue", admin)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "invalid_transition")


@contextmanager
def invoice_held(engine: sa.Engine, invoice_id: int):
    """A transaction holding `invoice_id` FOR UPDATE (on SQLite: the database's write lock)."""
    with engine.begin() as conn:
        conn.execute(sa.select(tenant_invoices.c.id).where(tenant_invoices.c.id == invoice_id).with_for_update())
        yield


def test_twenty_moves_blocked_on_one_invoice_are_answered_in_time_and_reads_keep_answering(
        api, engine, ledger, keys):
    held = ledger.invoice("acme", "2026-04")
    other = ledger.invoice("globex", "2026-04")
    auth = {"Authorization": f"Bearer {keys['admin']}"}
    moves: list = [None] * 20
    barrier = threading.Barrier(len(moves))

    def move(n: int):
        with httpx.Client(base_url=api.base_url, timeout=60) as client:
            barrier.wait()
            moves[n] = timed(lambda: client.post(f"/api/v1/invoices/{held}/{('issue', 'void')[n % 2]}",
                                                 headers=auth))

    with invoice_held(engine, held):
        threads = [threading.Thread(target=move, args=(n,)) for n in range(len(moves))]
        for t in threads:
            t.start()
        time.sleep(0.3)  # the moves are now waiting for the lock or for a connection
        reads = []
        while any(t.is_alive() for t in threads):
            reads.append(timed(lambda: api.get("/api/v1/invoices", keys["globex"])))
            reads.append(timed(lambda: api.get(f"/api/v1/invoices/{other}", keys["admin"])))
        for t in threads:
            t.join(60)
    assert len(reads) >= 4
    for response, seconds in reads:
        assert response.status_code == 200 and seconds < READ_UNDER_LOAD_S, (response.text, seconds)
    for response, seconds in moves:
        assert_busy(response, seconds)
    assert api.get(f"/api/v1/invoices/{held}", keys["admin"]).json()["data"]["status"] == "draft"
    assert api.post(f"/api/v1/invoices/{held}/issue", keys["admin"]).status_code == 200  # lock gone: works again


def test_an_unexpected_database_error_is_a_json_500_that_reveals_nothing(api, engine, ledger, keys):
    invoice = ledger.invoice("acme")
    with engine.begin() as c:
        c.exec_driver_sql("ALTER TABLE tenant_invoice_lines RENAME TO lines_elsewhere")
    try:
        r = api.get(f"/api/v1/invoices/{invoice}", keys["admin"])
    finally:
        with engine.begin() as c:
            c.exec_driver_sql("ALTER TABLE lines_elsewhere RENAME TO tenant_invoice_lines")
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal", "message": "internal error"}}
    assert api.get(f"/api/v1/invoices/{invoice}", keys["admin"]).status_code == 200
