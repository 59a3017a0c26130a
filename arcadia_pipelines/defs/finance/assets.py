"""Cost against revenue per month: what tenants were invoiced against what DigitalOcean billed us."""

import dagster as dg

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.monthend.cost_vs_revenue import write_cost_vs_revenue

from ..metadata import markdown_table, names, table_metadata
from ..partitions import monthly_partitions, one_run_per_range, periods
from ..resources import WarehouseResource


class CostVsRevenueConfig(dg.Config):
    reporting_currency: str = "AUD"
    """Currency of rows with no invoice to take one from (DigitalOcean cost on no deployment)."""


@dg.asset(partitions_def=monthly_partitions, backfill_policy=one_run_per_range, group_name="finance",
          owners=["team:finance"], kinds={"sql", "python"},
          deps=["tenant_invoices", "cloud_invoices", "fx_rates", "deployments"],
          metadata=table_metadata("cost_vs_revenue"),
          description="Revenue (invoice lines, tax excluded) against DigitalOcean cost per tenant, deployment "
                      "and resource kind, cost converted with the month's fx_rates; cost on no deployment has "
                      "its own rows.")
def cost_vs_revenue(context: dg.AssetExecutionContext, config: CostVsRevenueConfig,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    rows, missing, unusable = [], set(), {}
    for period in periods(context):
        r = write_cost_vs_revenue(warehouse.engine, period, config.reporting_currency.upper())
        rows += r.rows
        missing |= r.missing_rates
        unusable |= {(period.label, *pair): why for pair, why in r.unusable_rates.items()}
    if missing:
        context.log.warning("no fx rate for " + names(f"{a}->{b}" for a, b in missing))
    if unusable:
        context.log.warning("fx rates not used: " + names(f"{a}->{b} ({month}): {why}"
                                                          for (month, a, b), why in unusable.items()))
    totals: dict[str, list[int]] = {}
    for r in rows:
        t = totals.setdefault(r["revenue_currency"], [0, 0, 0])
        t[0] += r["revenue_cents"]
        t[1] += r["cost_in_revenue_currency_cents"] or 0
        t[2] += r["margin_cents"] or 0
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rows),
        "missing_fx_rates": names(f"{a}->{b}" for a, b in missing),
        "totals": markdown_table(["currency", "revenue", "cost (converted)", "margin"],
                                 [(c, *map(format_cents, v)) for c, v in sorted(totals.items())]),
    })
