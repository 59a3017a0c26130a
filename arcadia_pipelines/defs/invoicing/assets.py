"""Monthly invoicing: deployment_usage -> deployment_quotes -> tenant_invoices.

Each asset is a small graph of steps: `plan` splits the month's tenants into shards (run config
`shards`, see shard_steps.py), one `write` step per shard writes its tenants' rows in a
transaction of its own (idempotent: a retried step replaces what it wrote), and `report` turns
what the shards did into the asset's metadata. Under a parallel executor (multiprocess locally,
k8s or Celery in production) the shard steps run at the same time.
"""

import dagster as dg

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.monthend.invoices import write_invoices
from arcadia_pipelines.monthend.metering_gaps import describe_gaps, stale_open_intervals
from arcadia_pipelines.monthend.quotes import write_quotes
from arcadia_pipelines.monthend.shards import Shard
from arcadia_pipelines.monthend.usage import write_usage

from ..metadata import markdown_table, names, table_metadata
from ..partitions import monthly_partitions, one_run_per_range, periods
from ..resources import WarehouseResource
from .invoice_report import invoice_report
from .progress_log import progress_in_run_log
from .shard_steps import ShardsConfig, plan_op, shards_config, sum_counts

COMMON = dict(partitions_def=monthly_partitions, backfill_policy=one_run_per_range, group_name="invoicing",
              owners=["team:billing"], kinds={"sql", "python"})


def _upstream(*keys: str) -> dict[str, dg.AssetIn]:
    """Assets a graph asset depends on without loading them."""
    return {key: dg.AssetIn(key=key, dagster_type=dg.Nothing) for key in keys}


def _warn(context: dg.OpExecutionContext, errors) -> None:
    for e in errors:
        context.log.warning(str(e))


@dg.op(description="Usage and its evidence for one shard of the month's tenants, every month of the run.")
def write_usage_shard(context: dg.OpExecutionContext, warehouse: WarehouseResource, shard: Shard) -> dict:
    counts = {"rows": 0, "evidence": 0, "subscriptions": 0, "bad_input": 0, "by_meter": {}}
    for period in periods(context):
        with progress_in_run_log(context):
            r = write_usage(warehouse.engine, period, shard)
        _warn(context, r.errors)
        sum_counts(counts, {"rows": r.rows, "evidence": r.evidence_rows, "subscriptions": r.subscriptions,
                            "bad_input": len(r.errors), "by_meter": r.by_meter})
    return counts


@dg.op(out=dg.Out(dg.Nothing))
def report_usage(context: dg.OpExecutionContext, warehouse: WarehouseResource, shards: list[dict]) -> None:
    total = sum_counts(*shards)
    with warehouse.engine.connect() as conn:
        gaps = [g for period in periods(context) for g in stale_open_intervals(conn, period)]
    if gaps:
        context.log.warning(describe_gaps(gaps))
    context.add_output_metadata({
        "dagster/row_count": total["rows"], "evidence_rows": total["evidence"],
        "subscriptions": total["subscriptions"], "bad_input": total["bad_input"], "metering_gaps": len(gaps),
        "shards": len(shards), "usage": markdown_table(["meter", "quantity"], sorted(total["by_meter"].items())),
    })


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
    counts = {"rows": 0, "tenants": 0, "bad_input": 0, "amounts": {}}
    for period in periods(context):
        with progress_in_run_log(context):
            r = write_quotes(warehouse.engine, period, shard)
        _warn(context, r.errors)
        sum_counts(counts, {"rows": r.rows, "tenants": r.tenants, "bad_input": len(r.errors),
                            "amounts": r.amount_cents_by_currency})
    return counts


@dg.op(out=dg.Out(dg.Nothing))
def report_quotes(context: dg.OpExecutionContext, shards: list[dict]) -> None:
    total = sum_counts(*shards)
    context.add_output_metadata({
        "dagster/row_count": total["rows"], "tenants": total["tenants"], "bad_input": total["bad_input"],
        "shards": len(shards),
        "amount_by_currency": markdown_table(["currency", "amount"],
                                             [(c, format_cents(a)) for c, a in sorted(total["amounts"].items())]),
    })


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
    counts = {"created": 0, "recomputed": 0, "skipped_existing": 0, "lines_written": 0, "left_alone": 0,
              "left_alone_names": []}
    for period in periods(context):
        with progress_in_run_log(context):
            r = write_invoices(warehouse.engine, period, force=config.force, shard=shard)
        left_alone = sorted(f"{t} {period.label} ({s})" for t, s in r.left_alone.items())
        sum_counts(counts, {"created": len(r.created), "recomputed": len(r.recomputed),
                            "skipped_existing": len(r.skipped_existing), "lines_written": r.lines_written,
                            "left_alone": len(left_alone), "left_alone_names": left_alone[:LEFT_ALONE_SHOWN]})
    return counts


@dg.op(out=dg.Out(dg.Nothing))
def report_invoices(context: dg.OpExecutionContext, warehouse: WarehouseResource, shards: list[dict]) -> None:
    total = sum_counts(*shards)
    left_alone = names(total["left_alone_names"], total=total["left_alone"])
    if total["left_alone"]:
        context.log.info("left alone under force (not draft): " + left_alone)
    report = invoice_report(warehouse.engine, periods(context))
    if report.warning:
        context.log.warning(report.warning)
    metadata = {"created": total["created"], "recomputed": total["recomputed"],
                "skipped_existing": total["skipped_existing"], "left_alone": left_alone,
                "lines_written": total["lines_written"], "shards": len(shards), **report.metadata}
    if report.failures:
        raise dg.Failure(description=report.failure_description, metadata=metadata)
    context.add_output_metadata(metadata)


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
