"""The benchmark's synthetic warehouse keeps its shape, and a rollup over it adds up."""

import pytest
import sqlalchemy as sa

from arcadia_pipelines.warehouse import reads
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import rows
from arcadia_pipelines_tests.monthend.rollup import rollup
from benchmarks.generate import PERIOD, expected_shape, generate

TENANTS = 20


def count(engine, table, *where):
    with engine.connect() as c:
        return c.scalar(sa.select(sa.func.count()).select_from(table).where(*where))


@pytest.fixture
def world(engine, warehouse_url):
    generate(warehouse_url, TENANTS)
    return engine


def test_the_generated_warehouse_has_the_promised_shape(world):
    shape = expected_shape(TENANTS)
    m, s = t.metered_resources, t.subscriptions
    assert (count(world, t.tenants), count(world, t.deployments), count(world, s),
            count(world, m), count(world, m, m.c.resource_kind == "volume"),
            count(world, t.subscription_addons)) == (20, 40, 40, 200, 40, 14)
    assert (shape.tenants, shape.deployments, shape.resources, shape.volumes, shape.addons) == (20, 40, 200, 40, 14)
    with world.connect() as c:
        per_deployment = c.execute(sa.select(m.c.deployment_id, sa.func.count(), sa.func.sum(
            sa.case((m.c.resource_kind == "volume", 1), else_=0))).group_by(m.c.deployment_id)).all()
    assert {(n, volumes) for _, n, volumes in per_deployment} == {(5, 1)}
    assert count(world, s, s.c.started_at >= PERIOD.start_at) == 4          # 10% start mid-month
    assert count(world, m, m.c.started_at >= PERIOD.start_at) == 60         # 30% start mid-month


def test_a_rollup_over_it_invoices_every_tenant_and_adds_up(world, monkeypatch):
    monkeypatch.setattr(reads, "BATCH_TENANTS", 7)  # several batches per stage, the last one partial
    result = rollup(world, PERIOD)
    assert (len(result.created), result.errors) == (TENANTS, [])
    invoices = rows(world, t.tenant_invoices)
    assert len({i["tenant_id"] for i in invoices}) == len(invoices) == TENANTS
    lines = rows(world, t.tenant_invoice_lines)
    for inv in invoices:
        own = [ln for ln in lines if ln["invoice_id"] == inv["id"]]
        assert inv["subtotal_cents"] == sum(ln["amount_cents"] for ln in own if ln["kind"] != "tax")
        assert inv["tax_cents"] == sum(ln["amount_cents"] for ln in own if ln["kind"] == "tax")
        assert inv["total_cents"] == inv["subtotal_cents"] + inv["tax_cents"] > 0
        assert sorted(ln["line_no"] for ln in own) == list(range(1, len(own) + 1))
    kinds = {ln["kind"] for ln in lines}
    assert kinds == {"plan_base", "addon", "overage", "tax"}
    assert len(rows(world, t.deployment_usage)) == 2 * 2 * TENANTS   # a droplet and a volume meter each
