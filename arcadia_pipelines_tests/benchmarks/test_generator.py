"""The benchmark's synthetic warehouse keeps its shape, and a rollup over it adds up."""

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from arcadia_pipelines.warehouse import reads
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import rows
from arcadia_pipelines_tests.monthend.rollup import rollup
from benchmarks.generate import PERIOD, SHAPES, expected_shape, generate

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


def test_history_puts_about_ten_closed_intervals_per_current_one_before_april(engine, warehouse_url):
    """24 months of history: about 10 rows per current interval, valid, all closed by April 1st
    (some exactly then), resized and replaced droplets, and a few cancelled subscriptions."""
    world, m, s = engine, t.metered_resources, t.subscriptions
    shape = generate(warehouse_url, TENANTS, history_months=24)
    history = m.c.ended_at <= PERIOD.start_at
    current = sa.or_(m.c.ended_at.is_(None), m.c.ended_at > PERIOD.start_at)
    assert count(world, m, history) == shape.history_intervals == 10 * count(world, m, current) == 2000
    assert count(world, m, m.c.ended_at == PERIOD.start_at) > 0      # the edge: ends exactly as April starts
    assert count(world, m, history, m.c.ended_at <= m.c.started_at) == 0
    assert count(world, m, history, m.c.started_at < datetime(2024, 4, 1, tzinfo=timezone.utc)) == 0
    with world.connect() as c:
        resized = c.scalar(sa.select(sa.func.count(sa.distinct(m.c.size_slug))).where(history))
        replaced = c.scalar(sa.select(sa.func.count()).where(history, m.c.resource_id.like("%.%")))
    assert resized == 4 and replaced > 0
    closed = s.c.status == "cancelled"
    assert count(world, s, closed) == shape.closed_subscriptions == 4          # 1 deployment in 10
    assert count(world, s, closed, s.c.ended_at > PERIOD.start_at) == 0
    assert shape == expected_shape(TENANTS, 24) and expected_shape(TENANTS, 12).history_intervals == 1000


def _april(url):
    """April's source rows, and every output row of April from the stages run directly (without
    generated ids and times)."""
    engine = create_warehouse_engine(url)
    try:
        rollup(engine, PERIOD)
        inv, lines = t.tenant_invoices, t.tenant_invoice_lines
        with engine.connect() as c:
            def rows_of(query):
                return sorted(tuple(map(str, r)) for r in c.execute(query))

            m, s = t.metered_resources, t.subscriptions
            return {
                "intervals": rows_of(sa.select(m).where(sa.or_(m.c.ended_at.is_(None),
                                                                m.c.ended_at > PERIOD.start_at))),
                "subscriptions": rows_of(sa.select(s).where(s.c.status == "active")),
                "usage": rows_of(sa.select(t.deployment_usage)),
                "evidence": rows_of(sa.select(t.usage_evidence)),
                "quotes": rows_of(sa.select(t.deployment_quotes)),
                "invoices": rows_of(sa.select(*(col for col in inv.c if col.name not in ("id", "created_at",
                                                                                           "updated_at")))),
                "lines": rows_of(sa.select(inv.c.tenant_id, *(col for col in lines.c if col.name not in
                                                              ("id", "invoice_id"))).join_from(lines, inv)),
                "errors": rows_of(sa.select(t.billing_errors.c.tenant_id, t.billing_errors.c.rule)),
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_history_does_not_change_april(backend, tmp_path, request):
    months = {}
    for history in (0, 24):
        url = f"sqlite:///{tmp_path / f'h{history}.db'}" if backend == "sqlite" else \
            request.getfixturevalue("pg_admin")(f"bench_h{history}")
        generate(url, TENANTS, history_months=history)
        months[history] = _april(url)
    assert months[24] == months[0]
    assert len(months[0]["invoices"]) == TENANTS and months[0]["errors"] == []


@pytest.mark.parametrize("shape", [s for s in SHAPES if s != "default"])
def test_every_shape_is_a_billable_month(shape, engine, warehouse_url):
    """Each named shape invoices every tenant with nothing held back, and has what it is named for:
    seldom-repeating usage (issue24), every subscription over both meters (metered), plans
    changed and resources resized, replaced or re-attached inside April (churn)."""
    tenants = 12
    generate(warehouse_url, tenants, shape=shape)
    result = rollup(engine, PERIOD)
    assert (len(result.created), result.errors, rows(engine, t.billing_errors)) == (tenants, [], [])
    quotes = rows(engine, t.deployment_quotes)
    overage = [q for q in quotes if q["kind"] == "overage"]
    subscriptions = {q["subscription_id"] for q in quotes}
    m = t.metered_resources
    in_april = count(engine, m, sa.or_(m.c.ended_at.is_(None), m.c.ended_at > PERIOD.start_at))
    if shape == "issue24":
        assert len({q["quantity"] for q in overage}) > 0.9 * len(overage)
        assert 5.5 * tenants < len(quotes) < 7.5 * tenants
    elif shape == "metered":
        assert {(q["subscription_id"], q["meter"]) for q in overage} == {
            (s, meter) for s in subscriptions for meter in ("droplet_hours", "volume_gb_hours")}
        assert any(q["unit_price_cents"] % 1 for q in overage)
    else:
        s = t.subscriptions
        assert count(engine, s, s.c.status == "cancelled", s.c.ended_at > PERIOD.start_at) == tenants
        assert in_april > 14 * tenants
        assert {q["description"] for q in quotes if q["kind"] == "addon"} == {"Addon: storage_50gb", "Addon: backups"}
