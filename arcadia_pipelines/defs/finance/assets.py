"""Cost against revenue per month: what tenants were invoiced against what DigitalOcean billed us.
Each month reports on its own partition, with revenue (net of correction credit notes), cost and
margin as numbers the asset's Plots tab draws."""

import dagster as dg

from arcadia_pipelines.billing.credit_notes import CORRECTION, GOODWILL
from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.monthend.cost_vs_revenue import write_cost_vs_revenue
from arcadia_pipelines.warehouse.month_figures import credited_revenue

from ..metadata import amounts_by_currency, markdown_table, names, report_each_month, table_metadata
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
    reporting_currency = config.reporting_currency.upper()
    missing, unusable, report = set(), {}, {}
    for period in periods(context):
        r = write_cost_vs_revenue(warehouse.engine, period, reporting_currency)
        missing |= r.missing_rates
        unusable |= {(period.label, *pair): why for pair, why in r.unusable_rates.items()}
        with warehouse.engine.connect() as conn:
            credited = credited_revenue(conn, period)
        report[period] = _month_metadata(r.rows, r.missing_rates, credited, reporting_currency)
    if missing:
        context.log.warning("no fx rate for " + names(f"{a}->{b}" for a, b in missing))
    if unusable:
        context.log.warning("fx rates not used: " + names(f"{a}->{b} ({month}): {why}"
                                                          for (month, a, b), why in unusable.items()))
    report_each_month(context, report)
    return dg.MaterializeResult()


def _month_metadata(rows: list[dict], missing: set, credited: dict[tuple[str, str], int],
                    reporting_currency: str) -> dict[str, object]:
    """A month's rows as metadata. Per revenue currency: revenue net of correction credit notes,
    cost converted into it (rows without a rate count no cost) and their margin; goodwill credits
    are shown apart and lower neither."""
    totals: dict[str, list[int]] = {}
    for r in rows:
        t = totals.setdefault(r["revenue_currency"], [0, 0, 0])
        t[0] += r["revenue_cents"]
        t[1] += r["cost_in_revenue_currency_cents"] or 0
        t[2] += r["margin_cents"] or 0
    for currency, _ in credited:
        totals.setdefault(currency, [0, 0, 0])
    net = {c: (revenue - credited.get((c, CORRECTION), 0), cost, margin - credited.get((c, CORRECTION), 0))
           for c, (revenue, cost, margin) in totals.items()}
    return {
        "dagster/row_count": len(rows),
        "missing_fx_rates": names(f"{a}->{b}" for a, b in missing),
        "totals": markdown_table(["currency", "revenue", "cost (converted)", "margin"],
                                 [(c, *map(format_cents, v)) for c, v in sorted(net.items())]),
        **amounts_by_currency(reporting_currency, {
            "revenue": {c: v[0] for c, v in net.items()}, "cost": {c: v[1] for c, v in net.items()},
            "margin": {c: v[2] for c, v in net.items()},
            "goodwill_credited": {c: credited.get((c, GOODWILL), 0) for c in net}}),
    }
