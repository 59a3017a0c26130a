"""Cost against revenue per month: what tenants were invoiced against what DigitalOcean billed us."""

import dagster as dg

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.monthend.cost_vs_revenue import write_cost_vs_revenue

from ..invoicing.assets import periods
from ..metadata import markdown_table, names
from ..partitions import monthly_partitions
from ..resources import WarehouseResource


class CostVsRevenueConfig(dg.Config):
    reporting_currency: str = "AUD"
    """Currency of rows with no invoice to take one from (DigitalOcean cost on no deployment)."""


@dg.asset(partitions_def=monthly_partitions, group_name="finance", owners=["team:finance"],
          kinds={"sql", "python"}, deps=["tenant_invoices", "cloud_invoices", "fx_rates", "deployments"],
          description="Revenue (invoice lines, tax excluded) against DigitalOcean cost per tenant, deployment "
                      "and resource kind, cost converted with the month's fx_rates; cost on no deployment has "
                      "its own rows.")
def cost_vs_revenue(context: dg.AssetExecutionContext, config: CostVsRevenueConfig,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    rows, missing = [], set()
    for period in periods(context):
        r = write_cost_vs_revenue(warehouse.engine, period, config.reporting_currency.upper())
        rows += r.rows
        missing |= r.missing_rates
    if missing:
        context.log.warning("no fx rate for " + names(f"{a}->{b}" for a, b in missing))
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
