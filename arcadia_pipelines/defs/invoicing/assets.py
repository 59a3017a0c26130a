"""Monthly invoicing: deployment_usage -> deployment_quotes -> tenant_invoices."""


import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.monthend.billing_errors_store import period_errors
from arcadia_pipelines.monthend.invoices import write_invoices
from arcadia_pipelines.monthend.metering_gaps import describe_gaps, stale_open_intervals
from arcadia_pipelines.monthend.quotes import write_quotes
from arcadia_pipelines.monthend.usage import write_usage
from arcadia_pipelines.warehouse.schema import tenant_invoices as invoices_table

from ..metadata import markdown_table, names, table_metadata
from ..partitions import monthly_partitions, one_run_per_range, periods
from ..resources import WarehouseResource

COMMON = dict(partitions_def=monthly_partitions, backfill_policy=one_run_per_range, group_name="invoicing",
              owners=["team:billing"], kinds={"sql", "python"})


@dg.asset(deps=["subscriptions", "deployments", "do_inventory"],
          metadata=table_metadata("deployment_usage", "usage_evidence"),
          description="Metered quantity per billed subscription and meter inside its window "
                      "(partial hours count as whole hours), and the metered intervals it sums (usage_evidence).",
          **COMMON)
def deployment_usage(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    rows, evidence, subs, errors, by_meter = 0, 0, 0, [], {}
    for period in periods(context):
        r = write_usage(warehouse.engine, period)
        rows, subs, errors = rows + r.rows, subs + r.subscriptions, errors + r.errors
        evidence += r.evidence_rows
        for meter, qty in r.by_meter.items():
            by_meter[meter] = by_meter.get(meter, 0) + qty
    for e in errors:
        context.log.warning(str(e))
    with warehouse.engine.connect() as conn:
        gaps = [g for period in periods(context) for g in stale_open_intervals(conn, period)]
    if gaps:
        context.log.warning(describe_gaps(gaps))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows, "evidence_rows": evidence, "subscriptions": subs, "bad_input": len(errors),
        "metering_gaps": len(gaps),
        "usage": markdown_table(["meter", "quantity"], sorted(by_meter.items())),
    })


@dg.asset(deps=[deployment_usage, "plans", "plan_meters", "addons", "subscription_addons"],
          metadata=table_metadata("deployment_quotes"),
          description="The quote engine's lines (plan base, addons, overage; no tax) for every "
                      "billed subscription.", **COMMON)
def deployment_quotes(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    rows, tenants, errors, amounts = 0, 0, [], {}
    for period in periods(context):
        r = write_quotes(warehouse.engine, period)
        rows, tenants, errors = rows + r.rows, tenants + r.tenants, errors + r.errors
        for cur, cents in r.amount_cents_by_currency.items():
            amounts[cur] = amounts.get(cur, 0) + cents
    for e in errors:
        context.log.warning(str(e))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows, "tenants": tenants, "bad_input": len(errors),
        "amount_by_currency": markdown_table(["currency", "amount"],
                                             [(c, format_cents(a)) for c, a in sorted(amounts.items())]),
    })


class TenantInvoicesConfig(dg.Config):
    force: bool = False
    """Recompute draft invoices in place; issued, paid and void ones are never touched."""


def _invoices(conn: sa.Connection, period: Period):
    i = invoices_table
    return conn.execute(sa.select(i.c.period_start, i.c.tenant_id, i.c.currency, i.c.subtotal_cents,
                                  i.c.tax_cents, i.c.total_cents, i.c.status)
                        .where(i.c.period_start == period.start).order_by(i.c.tenant_id)).all()


def empty_month_warning(months: list[str]) -> str | None:
    """One line for months that billed nobody: no invoice and no tenant with bad input."""
    if not months:
        return None
    return (f"{', '.join(months)} billed nobody: no invoice and no billing error, no subscription is billed "
            "(is ARCADIA_WAREHOUSE_URL the warehouse you meant?)")


@dg.asset(deps=[deployment_quotes, "tenants", "tax_rates"],
          metadata=table_metadata("tenant_invoices", "tenant_invoice_lines"),
          description="One invoice per tenant and month with its lines and tax line. Re-runs skip "
                      "invoiced tenants; `force` recomputes drafts only.", **COMMON)
def tenant_invoices(context: dg.AssetExecutionContext, config: TenantInvoicesConfig,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    created, recomputed, skipped, lines, left_alone, invoices, failures = 0, 0, 0, 0, [], [], []
    empty = []
    for period in periods(context):
        r = write_invoices(warehouse.engine, period, force=config.force)
        created, recomputed = created + len(r.created), recomputed + len(r.recomputed)
        skipped, lines = skipped + len(r.skipped_existing), lines + r.lines_written
        left_alone += [f"{t} {period.label} ({s})" for t, s in r.left_alone.items()]
        with warehouse.engine.connect() as conn:
            month_invoices, month_failures = _invoices(conn, period), period_errors(conn, period)
        invoices, failures = invoices + month_invoices, failures + month_failures
        if not month_invoices and not month_failures:
            empty.append(period.label)
    if left_alone:
        context.log.info("left alone under force (not draft): " + names(left_alone))
    warning = empty_month_warning(empty)
    if warning:
        context.log.warning(warning)
    per_status: dict[str, int] = {}
    for inv in invoices:
        per_status[inv.status] = per_status.get(inv.status, 0) + 1
    failed = {e.tenant_id for e in failures}
    metadata = {
        "dagster/row_count": len(invoices), "created": created, "recomputed": recomputed,
        "skipped_existing": skipped, "left_alone": names(left_alone), "lines_written": lines,
        "failed_tenants": names(failed), "empty_month": bool(empty),
        "invoices_by_status": markdown_table(["status", "invoices"], sorted(per_status.items())),
        "preview": markdown_table(
            ["period", "tenant", "currency", "subtotal", "tax", "total", "status"],
            [(i.period_start, i.tenant_id, i.currency, format_cents(i.subtotal_cents),
              format_cents(i.tax_cents), format_cents(i.total_cents), i.status) for i in invoices]),
    }
    if warning:
        metadata["warning"] = warning
    if failures:
        raise dg.Failure(
            description=f"{len(failed)} tenant(s) got no invoice because of bad input; every other "
                        "tenant was invoiced:\n" + "\n".join(f"- {e}" for e in failures),
            metadata=metadata)
    return dg.MaterializeResult(metadata=metadata)
