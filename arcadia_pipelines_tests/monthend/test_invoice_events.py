"""The month-end appends a `created` event per new invoice and a `recomputed` one per draft it
recomputes, in its own transaction; skipped and kept invoices get none."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import invoice_events, tenant_invoices
from arcadia_pipelines_tests.builders import World, rows

from .rollup import rollup


def events(engine):
    return [(e["tenant_id"], e["kind"], e["status"], e["total_cents"]) for e in rows(engine, invoice_events, "id")]


def test_created_then_recomputed_only_for_drafts_and_nothing_for_a_plain_rerun(engine):
    w = World(engine).worked_example("pilot")
    w.example_tenant("harbour")
    rollup(engine)
    assert events(engine) == [("harbour", "created", "draft", 7064), ("pilot", "created", "draft", 7064)]
    rollup(engine)
    assert len(events(engine)) == 2  # skipped: nothing changed
    harbour = rows(engine, tenant_invoices, tenant_id="harbour")[0]["id"]
    with engine.begin() as c:
        apply_move(c, harbour, "issue", datetime(2026, 5, 2, tzinfo=timezone.utc))
    rollup(engine, force=True)
    assert events(engine)[2:] == [("harbour", "issued", "issued", 7064), ("pilot", "recomputed", "draft", 7064)]
    with engine.connect() as c:
        pilot = c.execute(sa.select(tenant_invoices).where(tenant_invoices.c.tenant_id == "pilot")).one()
        last = c.execute(sa.select(invoice_events).order_by(invoice_events.c.id.desc()).limit(1)).one()
    assert last.occurred_at == pilot.updated_at and last.invoice_id == pilot.id
