"""The demo's inventory and cost-vs-revenue summaries, read back from the warehouse."""

from __future__ import annotations

import sqlalchemy as sa

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.monthend.metering_gaps import latest_observation
from arcadia_pipelines.warehouse.schema import cost_vs_revenue, metered_resources


def _cents(value: int | None) -> str:
    return "n/a" if value is None else format_cents(value)


def print_inventory(engine: sa.Engine) -> None:
    m = metered_resources
    with engine.connect() as conn:
        observed = latest_observation(conn)
        running = conn.execute(
            sa.select(m.c.deployment_id, m.c.resource_kind, sa.func.count().label("resources"))
            .where(m.c.ended_at.is_(None)).group_by(m.c.deployment_id, m.c.resource_kind)
            .order_by(m.c.deployment_id, m.c.resource_kind)).all()
        gb = dict(conn.execute(sa.select(m.c.deployment_id, m.c.quantity)
                               .where(m.c.ended_at.is_(None), m.c.resource_kind == "volume")).all())
    print(f"\nDigitalOcean inventory, observed {observed:%Y-%m-%d %H:%M} UTC (running now):")
    for r in running:
        size = f" ({gb[r.deployment_id]} GB)" if r.resource_kind == "volume" else ""
        print(f"  {r.deployment_id or '(no deployment)':<16} {r.resources} {r.resource_kind}(s){size}")


def print_cost_vs_revenue(engine: sa.Engine, period: Period) -> None:
    c = cost_vs_revenue
    with engine.connect() as conn:
        rows = conn.execute(sa.select(c).where(c.c.period_start == period.start)
                            .order_by(c.c.tenant_id.is_(None), c.c.tenant_id, c.c.resource_kind)).all()
    print(f"\nCost vs revenue {period.label} (tax excluded; DigitalOcean's USD converted with fx_rates)")
    print(f"  {'tenant':<10} {'deployment':<14} {'kind':<14} {'revenue':>9} {'cost USD':>9} "
          f"{'cost':>9} {'margin':>9}  currency")
    for r in rows:
        print(f"  {r.tenant_id or '-':<10} {r.deployment_id or '-':<14} {r.resource_kind or '-':<14} "
              f"{format_cents(r.revenue_cents):>9} {format_cents(r.cost_cents):>9} "
              f"{_cents(r.cost_in_revenue_currency_cents):>9} {_cents(r.margin_cents):>9}  {r.revenue_currency}")
