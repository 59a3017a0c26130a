"""Asset checks on the invoicing assets, per monthly partition.

Invoice integrity checks block: a month whose invoices do not add up must not flow into
cost-vs-revenue reporting. Usage and quote coverage checks warn: bad input there is already
a named, per-tenant failure of the run."""

import dagster as dg

from arcadia_pipelines.monthend import audits

from ..partitions import monthly_partitions
from ..resources import WarehouseResource
from .assets import deployment_quotes, deployment_usage, periods, tenant_invoices


def _check(context, warehouse: WarehouseResource, audit, describe, severity=dg.AssetCheckSeverity.ERROR):
    found = []
    with warehouse.engine.connect() as conn:
        for period in periods(context):
            found += [(period.label, row) for row in audit(conn, period)]
    return dg.AssetCheckResult(
        passed=not found, severity=severity,
        metadata={"violations": len(found),
                  "examples": dg.MetadataValue.md("\n".join(f"- {p}: {describe(r)}" for p, r in found[:20])
                                                  or "none")})


CHECK = dict(partitions_def=monthly_partitions)


@dg.asset_check(asset=tenant_invoices, blocking=True, **CHECK,
                description="Every invoice's lines sum to its subtotal and tax, and subtotal + tax = total.")
def invoice_lines_add_up(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, audits.invoices_not_adding_up,
                  lambda r: f"invoice {r.id} ({r.tenant_id}): lines {r.lines_subtotal} + tax {r.lines_tax}, "
                            f"invoice {r.subtotal_cents} + {r.tax_cents} = {r.total_cents}")


@dg.asset_check(asset=tenant_invoices, blocking=True, **CHECK,
                description="Exactly one invoice per tenant and month.")
def one_invoice_per_tenant(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, audits.duplicate_invoices,
                  lambda r: f"tenant {r.tenant_id} has {r.invoices} invoices")


@dg.asset_check(asset=tenant_invoices, blocking=True, **CHECK,
                description="Tax is round-half-up(subtotal x the country's rate for the month), or 0 without a rate.")
def tax_follows_the_rule(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, audits.wrong_tax,
                  lambda r: f"tenant {r[0]} charged {r[1]}, rule gives {r[2]}")


@dg.asset_check(asset=deployment_quotes, **CHECK,
                description="Every billed subscription of a tenant without bad input produced quote lines.")
def every_billed_subscription_is_quoted(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, audits.unquoted_subscriptions,
                  lambda r: f"subscription {r.id} of {r.tenant_id} has no quote lines",
                  severity=dg.AssetCheckSeverity.WARN)


@dg.asset_check(asset=deployment_usage, **CHECK, description="No negative metered quantity.")
def usage_is_not_negative(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, audits.negative_usage,
                  lambda r: f"{r.meter} of subscription {r.subscription_id} ({r.tenant_id}) is {r.quantity}",
                  severity=dg.AssetCheckSeverity.WARN)
