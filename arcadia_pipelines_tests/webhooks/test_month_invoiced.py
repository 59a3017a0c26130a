"""`month.invoiced`: a monthly_invoicing run that writes or recomputes a month's drafts appends one
event, in the feed's id order; a re-run that changes nothing appends none; the endpoint gets it."""

from __future__ import annotations

import json
import random

import dagster as dg
import pytest
import sqlalchemy as sa

from arcadia_pipelines.warehouse.schema import invoice_events, month_invoiced_events
from arcadia_pipelines.webhooks.delivery import RetryPolicy
from arcadia_pipelines.webhooks.endpoints import add_endpoint
from arcadia_pipelines_tests.builders import World
from arcadia_pipelines_tests.defs.runs import run

from .clock import FakeClock, drain

pytestmark = pytest.mark.slow
FORCE = {"ops": {"tenant_invoices": {"config": {"force": True}}}}


def test_a_month_end_run_announces_the_month_once_per_change_and_the_endpoint_gets_it(
        engine, warehouse_url, receiver, monkeypatch):
    monkeypatch.setenv("ARCADIA_WAREHOUSE_URL", warehouse_url)
    add_endpoint(engine, receiver.url, "month.invoiced")
    World(engine).worked_example()
    with dg.instance_for_test() as instance:
        first = run(instance)
        unchanged = run(instance)
        forced = run(instance, run_config=FORCE)
    assert first.success and unchanged.success and forced.success
    [meta] = [m.metadata["month_invoiced_events"].value for m in first.asset_materializations_for_node("tenant_invoices")]
    assert meta == 1
    with engine.connect() as conn:
        months = conn.execute(sa.select(month_invoiced_events).order_by(month_invoiced_events.c.id)).all()
        created = conn.scalar(sa.select(sa.func.max(invoice_events.c.id)).where(invoice_events.c.kind == "created"))
    assert len(months) == 2  # the first run and the forced recompute; not the run that changed nothing
    assert months[0].id > created and (months[0].invoices, months[0].failed_tenants) == (1, 0)
    assert json.loads(months[0].totals) == {"AUD": 7064}

    drain(engine, FakeClock(), RetryPolicy(), random.Random(0))
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert [b["id"] for b in bodies] == [m.id for m in months]
    assert bodies[0]["type"] == "month.invoiced"
    assert bodies[0]["data"] == {"period_start": "2026-04-01", "period_end": "2026-05-01", "invoices": 1,
                                 "failed_tenants": 0, "totals": [{"currency": "AUD", "total_cents": 7064}]}
