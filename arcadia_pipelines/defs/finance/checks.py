"""Checks on cost_vs_revenue: every cost converted, and how much cost nobody is billed for. Run
without a partition (the UI's "Execute all"), they check every month materialized so far."""

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.monthend.cost_vs_revenue import unusable_rates, why_no_rate
from arcadia_pipelines.warehouse.schema import cost_vs_revenue as table

from ..metadata import names
from ..partitions import checked_periods
from ..resources import WarehouseResource
from .assets import cost_vs_revenue

UNATTRIBUTED_WARN_SHARE = 0.10


def _rows(context, warehouse, *where) -> tuple[str, list]:
    """The checked months ('2026-03, 2026-04') and their rows."""
    with warehouse.engine.connect() as conn:
        months = checked_periods(context, conn, table)
        rows = conn.execute(sa.select(table).where(table.c.period_start.in_([p.start for p in months]), *where)).all()
    return names(p.label for p in months), rows


def _missing_pair(row, unusable: dict) -> str:
    """'USD->AUD (2026-04)', with why when the month's stored rate for it cannot convert."""
    why = why_no_rate(unusable, row.cost_currency, row.revenue_currency)
    return f"{row.cost_currency}->{row.revenue_currency} ({row.period_start:%Y-%m})" + (f": {why}" if why else "")


@dg.asset_check(asset=cost_vs_revenue,
                description="Every cost has a converted amount: fx_rates has the month's rate for each pair, a "
                            "positive number (a bad one is named with why).")
def fx_rates_cover_costs(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    months, rows = _rows(context, warehouse, table.c.cost_in_revenue_currency_cents.is_(None))
    with warehouse.engine.connect() as conn:
        unusable = {start: unusable_rates(conn, start) for start in {r.period_start for r in rows}}
    pairs = sorted({_missing_pair(r, unusable[r.period_start]) for r in rows})
    return dg.AssetCheckResult(passed=not pairs, metadata={
        "months": months, "missing_pairs": ", ".join(pairs) or "none", "rows_without_conversion": len(rows)})


@dg.asset_check(asset=cost_vs_revenue,
                description=f"Share of DigitalOcean cost on no deployment; warns above "
                            f"{UNATTRIBUTED_WARN_SHARE:.0%}.")
def unattributed_cost_share(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    months, rows = _rows(context, warehouse)
    total = sum(r.cost_cents for r in rows)
    unattributed = sum(r.cost_cents for r in rows if r.deployment_id is None)
    share = unattributed / total if total else 0.0   # a ratio for people, not money
    return dg.AssetCheckResult(
        passed=share <= UNATTRIBUTED_WARN_SHARE, severity=dg.AssetCheckSeverity.WARN,
        metadata={"months": months, "unattributed_share": dg.MetadataValue.float(round(share, 4)),
                  "unattributed_cost_cents": unattributed, "cost_cents": total})
