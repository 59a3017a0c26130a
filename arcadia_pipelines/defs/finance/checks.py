"""Checks on cost_vs_revenue: every cost converted, and how much cost nobody is billed for."""

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.warehouse.schema import cost_vs_revenue as table

from ..invoicing.assets import periods
from ..partitions import monthly_partitions
from ..resources import WarehouseResource
from .assets import cost_vs_revenue

UNATTRIBUTED_WARN_SHARE = 0.10


def _rows(context, warehouse, *where):
    with warehouse.engine.connect() as conn:
        return conn.execute(sa.select(table).where(
            table.c.period_start.in_([p.start for p in periods(context)]), *where)).all()


@dg.asset_check(asset=cost_vs_revenue, partitions_def=monthly_partitions,
                description="Every cost has a converted amount: fx_rates has the month's rate for each pair.")
def fx_rates_cover_costs(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    rows = _rows(context, warehouse, table.c.cost_in_revenue_currency_cents.is_(None))
    pairs = sorted({f"{r.cost_currency}->{r.revenue_currency} ({r.period_start:%Y-%m})" for r in rows})
    return dg.AssetCheckResult(passed=not pairs, metadata={
        "missing_pairs": ", ".join(pairs) or "none", "rows_without_conversion": len(rows)})


@dg.asset_check(asset=cost_vs_revenue, partitions_def=monthly_partitions,
                description=f"Share of DigitalOcean cost on no deployment; warns above "
                            f"{UNATTRIBUTED_WARN_SHARE:.0%}.")
def unattributed_cost_share(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    rows = _rows(context, warehouse)
    total = sum(r.cost_cents for r in rows)
    unattributed = sum(r.cost_cents for r in rows if r.deployment_id is None)
    share = unattributed / total if total else 0.0   # a ratio for people, not money
    return dg.AssetCheckResult(
        passed=share <= UNATTRIBUTED_WARN_SHARE, severity=dg.AssetCheckSeverity.WARN,
        metadata={"unattributed_share": dg.MetadataValue.float(round(share, 4)),
                  "unattributed_cost_cents": unattributed, "cost_cents": total})
