"""Monthly invoicing: deployment_usage -> deployment_quotes -> tenant_invoices.

Each asset is a small graph of steps: `plan` splits the month's tenants into shards (run config
`shards`, see shard_steps.py), one `write` step per shard writes its tenants' rows in a
transaction of its own (idempotent: a retried step replaces what it wrote), and `report` turns
what the shards did into the asset's metadata, each month of the run on its own partition (a
range of months is one run). Under a parallel executor (multiprocess locally,
k8s or Celery in production) the shard steps run at the same time.
"""

from datetime import datetime, timezone

import dagster as dg

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.invoicing.month_invoiced import announce_months
from arcadia_pipelines.monthend.invoices import write_invoices
from arcadia_pipelines.monthend.metering_gaps import describe_gaps, stale_open_intervals
from arcadia_pipelines.monthend.quotes import write_quotes
from arcadia_pipelines.monthend.shards import Shard
from arcadia_pipelines.monthend.statistics import settle_statistics
from arcadia_pipelines.monthend.usage import write_usage

from ..metadata import markdown_table, names, report_each_month, table_metadata
from ..partitions import monthly_partitions, one_run_per_range, periods
from ..resources import WarehouseResource
from .invoice_report import empty_month_warning, failure_description, invoice_report
from .progress_log import progress_in_run_log
from .shard_steps import ShardsConfig, per_month, plan_op, shards_config

COMMON = dict(partitions_def=monthly_partitions, backfill_policy=one_run_per_range, group_name="invoicing",
              owners=["team:billing"], kinds={"sql", "python"})


def _upstream(*keys: str) -> dict[str, dg.AssetIn]:
    """Assets a graph asset depends on without loading them."""
    return {key: dg.AssetIn(key=key, dagster_type=dg.Nothing) for key in keys}


def _each_month(context: dg.OpExecutionContext, write, summary) -> dict:
    """`summary` of `write(period)` for every month of the run, by month key; its bad input goes to the run log."""
    months = {}
    for period in periods(context):
        with progress_in_run_log(context):
            r = write(period)
        for e in r.errors:
            context.log.warning(str(e))
        months[period.key] = summary(r)
    return months


@dg.op(description="Usage and its evidence for one shard of the month's tenants, every month of the run.")
def write_usage_shard(context: dg.OpExecutionContext, warehouse: WarehouseResource, shard: Shard) -> dict:
    return _each_month(context, lambda period: write_usage(warehouse.engine, period, shard), lambda r: {
        "rows": r.rows, "evidence": r.evidence_rows, "subscriptions": r.subscriptions, "bad_input": len(r.errors),
        "by_meter": dict(r.by_meter)})


def _settle(warehouse: WarehouseResource, stage: str, shards: list[dict]) -> None:
    """Shards may each have skipped a table their sibling was refreshing: the next stage plans on all of it."""
    if len(shards) > 1:
        settle_statistics(warehouse.engine, stage)


@dg.op(out=dg.Out(dg.Nothing))
def report_usage(context: dg.AssetExecutionContext, warehouse: WarehouseResource, shards: list[dict]) -> None:
    _settle(warehouse, "deployment_usage", shards)
    months, report = per_month(shards), {}
    with warehouse.engine.connect() as conn:
        for period in periods(context):
            total, gaps = months[period.key], stale_open_intervals(conn, period)
            if gaps:
                context.log.warning(describe_gaps(gaps))
            report[period] = {
                "dagster/row_count": total["rows"], "evidence_rows": total["evidence"],
                "subscriptions": total["subscriptions"], "bad_input": total["bad_input"], "metering_gaps": len(gaps),
                "shards": len(shards),
                "usage": markdown_table(["meter", "quantity"], sorted(total["by_meter"].items())),
            }
    report_each_month(context, report)


USAGE_UPSTREAM = ["subscriptions", "deployments", "do_inventory"]
plan_usage = plan_op("deployment_usage", USAGE_UPSTREAM)


@dg.graph_asset(ins=_upstream(*USAGE_UPSTREAM), config=shards_config("deployment_usage"),
                metadata=table_metadata("deployment_usage", "usage_evidence"),
                description="Metered quantity per billed subscription and meter inside its window "
                            "(partial hours count as whole hours), and the metered intervals it sums "
                            "(usage_evidence).", **COMMON)
def deployment_usage(subscriptions, deployments, do_inventory):
    return report_usage(plan_usage(subscriptions=subscriptions, deployments=deployments, do_inventory=do_inventory).map(write_usage_shard).collect())


@dg.op(description="Quote lines for one shard of the month's tenants, every month of the run.")
def write_quotes_shard(context: dg.OpExecutionContext, warehouse: WarehouseResource, shard: Shard) -> dict:
    return _each_month(context, lambda period: write_quotes(warehouse.engine, period, shard), lambda r: {
        "rows": r.rows, "tenants": r.tenants, "bad_input": len(r.errors), "amounts": dict(r.amount_cents_by_currency)})


@dg.op(out=dg.Out(dg.Nothing))
def report_quotes(context: dg.AssetExecutionContext, warehouse: WarehouseResource, shards: list[dict]) -> None:
    _settle(warehouse, "deployment_quotes", shards)
    months = per_month(shards)
    report_each_month(context, {period: {
        "dagster/row_count": total["rows"], "tenants": total["tenants"], "bad_input": total["bad_input"],
        "shards": len(shards),
        "amount_by_currency": markdown_table(["currency", "amount"],
                                             [(c, format_cents(a)) for c, a in sorted(total["amounts"].items())]),
    } for period in periods(context) for total in [months[period.key]]})


QUOTES_UPSTREAM = ["deployment_usage", "plans", "plan_meters", "addons", "subscription_addons"]
plan_quotes = plan_op("deployment_quotes", QUOTES_UPSTREAM)


@dg.graph_asset(ins=_upstream(*QUOTES_UPSTREAM), config=shards_config("deployment_quotes"),
                metadata=table_metadata("deployment_quotes"),
                description="The quote engine's lines (plan base, addons, overage; no tax) for every "
                            "billed subscription.", **COMMON)
def deployment_quotes(deployment_usage, plans, plan_meters, addons, subscription_addons):
    return report_quotes(plan_quotes(deployment_usage=deployment_usage, plans=plans, plan_meters=plan_meters, addons=addons,
                                     subscription_addons=subscription_addons)
                         .map(write_quotes_shard).collect())


class TenantInvoicesConfig(ShardsConfig):
    force: bool = False
    """Recompute draft invoices in place; issued, paid and void ones are never touched."""


class ForceConfig(dg.Config):
    force: bool = False


# Under force, the tenants left alone are listed by name up to this many per shard (the count is exact).
LEFT_ALONE_SHOWN = 50


@dg.op(description="Invoices for one shard of the month's tenants, every month of the run.")
def write_invoices_shard(context: dg.OpExecutionContext, config: ForceConfig, warehouse: WarehouseResource,
                         shard: Shard) -> dict:
    months = {}
    for period in periods(context):
        with progress_in_run_log(context):
            r = write_invoices(warehouse.engine, period, force=config.force, shard=shard)
        left_alone = sorted(f"{t} {period.label} ({s})" for t, s in r.left_alone.items())
        months[period.key] = {"created": len(r.created), "recomputed": len(r.recomputed),
                              "skipped_existing": len(r.skipped_existing), "lines_written": r.lines_written,
                              "left_alone": len(left_alone), "left_alone_names": left_alone[:LEFT_ALONE_SHOWN]}
    return months


def _failure_metadata(report: dict, metadata: dict) -> dict:
    """A failed run's metadata: its month's, or for a range each month's invoices and failed tenants."""
    if len(metadata) == 1:
        return next(iter(metadata.values()))
    failed = {f"{e.tenant_id} ({p.label})" for p, month in report.items() for e in month.failures}
    return {"failed_tenants": names(failed),
            "months": markdown_table(["month", "invoices", "failed tenants"], [
                (p.label, m["dagster/row_count"], m["failed_tenants"]) for p, m in metadata.items()])}


@dg.op(out=dg.Out(dg.Nothing))
def report_invoices(context: dg.AssetExecutionContext, warehouse: WarehouseResource, shards: list[dict]) -> None:
    _settle(warehouse, "tenant_invoices", shards)
    months, report, metadata = per_month(shards), invoice_report(warehouse.engine, periods(context)), {}
    for period, month in report.items():
        total = months[period.key]
        left_alone = names(total["left_alone_names"], total=total["left_alone"])
        if total["left_alone"]:
            context.log.info("left alone under force (not draft): " + left_alone)
        metadata[period] = {"created": total["created"], "recomputed": total["recomputed"],
                            "skipped_existing": total["skipped_existing"], "left_alone": left_alone,
                            "lines_written": total["lines_written"], "shards": len(shards), **month.metadata}
    warning = empty_month_warning([p.label for p, month in report.items() if month.empty])
    if warning:
        context.log.warning(warning)
    # the month.invoiced webhook events, also when some tenants' bad input left them out (they count them)
    announced = announce_months(warehouse.engine, [p.start for p in report], datetime.now(timezone.utc))
    for period, month in metadata.items():
        month["month_invoiced_events"] = int(announced[period.start] is not None)
    failures = [e for month in report.values() for e in month.failures]
    if failures:
        raise dg.Failure(description=failure_description(report), metadata=_failure_metadata(report, metadata))
    report_each_month(context, metadata)


def _invoices_config(config: TenantInvoicesConfig) -> dict:
    return {"plan_tenant_invoices": {"config": {"shards": config.shards}},
            "write_invoices_shard": {"config": {"force": config.force}}}


INVOICES_UPSTREAM = ["deployment_quotes", "tenants", "tax_rates"]
plan_invoices = plan_op("tenant_invoices", INVOICES_UPSTREAM)


@dg.graph_asset(ins=_upstream(*INVOICES_UPSTREAM),
                config=dg.config_mapping(_invoices_config),
                metadata=table_metadata("tenant_invoices", "tenant_invoice_lines"),
                description="One invoice per tenant and month with its lines and tax line. Re-runs skip "
                            "invoiced tenants; `force` recomputes drafts only.", **COMMON)
def tenant_invoices(deployment_quotes, tenants, tax_rates):
    return report_invoices(plan_invoices(deployment_quotes=deployment_quotes, tenants=tenants, tax_rates=tax_rates)
                           .map(write_invoices_shard).collect())
