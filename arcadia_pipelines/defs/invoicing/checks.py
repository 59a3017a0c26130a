"""Asset checks on the invoicing assets.

Invoice integrity checks block: a month whose invoices do not add up must not flow into
cost-vs-revenue reporting. Usage and quote coverage checks warn: bad input there is already
a named, per-tenant failure of the run.

A check checks the months of its run: the month, or each month of a range. Run without a
partition (the UI's "Execute all") it checks every month materialized so far; each result
names its months. The checks themselves are not partitioned because Dagster cannot run a
partitioned check in a run without a partition."""

from decimal import Decimal
from fractions import Fraction

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.billing.money import format_cents, to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.monthend import audits
from arcadia_pipelines.monthend.drift import InvoiceDrift, period_drift
from arcadia_pipelines.warehouse import schema

from ..metadata import markdown_table, names
from ..partitions import checked_periods
from ..resources import WarehouseResource
from .assets import deployment_quotes, deployment_usage, tenant_invoices


def _check(context, warehouse: WarehouseResource, table: sa.Table, audit, describe,
           severity=dg.AssetCheckSeverity.ERROR):
    found = []
    with warehouse.engine.connect() as conn:
        months = checked_periods(context, conn, table)
        for period in months:
            found += [(period.label, row) for row in audit(conn, period)]
    return dg.AssetCheckResult(
        passed=not found, severity=severity,
        metadata={"months": names(p.label for p in months), "violations": len(found),
                  "examples": dg.MetadataValue.md("\n".join(f"- {p}: {describe(r)}" for p, r in found[:20])
                                                  or "none")})


@dg.asset_check(asset=tenant_invoices, blocking=True,
                description="Every invoice's lines sum to its subtotal and tax, and subtotal + tax = total.")
def invoice_lines_add_up(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, schema.tenant_invoices, audits.invoices_not_adding_up,
                  lambda r: f"invoice {r.id} ({r.tenant_id}): lines {r.lines_subtotal} + tax {r.lines_tax}, "
                            f"invoice {r.subtotal_cents} + {r.tax_cents} = {r.total_cents}")


@dg.asset_check(asset=tenant_invoices, blocking=True,
                description="Exactly one invoice per tenant and month.")
def one_invoice_per_tenant(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, schema.tenant_invoices, audits.duplicate_invoices,
                  lambda r: f"tenant {r.tenant_id} has {r.invoices} invoices")


@dg.asset_check(asset=tenant_invoices, blocking=True,
                description="Tax is round-half-up(subtotal x the country's rate for the month), or 0 without a rate.")
def tax_follows_the_rule(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, schema.tenant_invoices, audits.wrong_tax,
                  lambda r: f"tenant {r[0]} charged {r[1]}, rule gives {r[2]}")


def _bills_nobody(conn: sa.Connection, period: Period) -> list[str]:
    """[the month] when it has no invoice and no billing error, else []."""
    found = [conn.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.period_start == period.start))
             for table in (schema.tenant_invoices, schema.billing_errors)]
    return [] if any(found) else [period.label]


@dg.asset_check(asset=tenant_invoices,
                description="Warns when a month bills nobody: no invoice and no billing error (no billable "
                            "subscription, or a warehouse without source data).")
def month_bills_someone(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, schema.tenant_invoices, _bills_nobody,
                  lambda _: "billed nobody: no invoice and no billing error", severity=dg.AssetCheckSeverity.WARN)


@dg.asset_check(asset=deployment_quotes,
                description="Every billed subscription of a tenant without bad input produced quote lines.")
def every_billed_subscription_is_quoted(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, schema.deployment_quotes, audits.unquoted_subscriptions,
                  lambda r: f"subscription {r.id} of {r.tenant_id} has no quote lines",
                  severity=dg.AssetCheckSeverity.WARN)


@dg.asset_check(asset=deployment_usage, description="No negative metered quantity.")
def usage_is_not_negative(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, schema.deployment_usage, audits.negative_usage,
                  lambda r: f"{r.meter} of subscription {r.subscription_id} ({r.tenant_id}) is {r.quantity}",
                  severity=dg.AssetCheckSeverity.WARN)


def _evidence_mismatch(r: audits.EvidenceMismatch) -> str:
    def num(q) -> str:
        return "no number" if q is None else f"{to_decimal(q, 12):f}" if isinstance(q, (Decimal, Fraction)) else repr(q)

    who = f"{r.meter} of subscription {r.subscription_id} ({r.tenant_id})"
    if r.usage is None:
        return f"{who}: {r.evidence_rows} evidence row(s) summing to {num(r.evidence)} but no usage"
    if not r.evidence_rows:
        return f"{who}: usage {num(r.usage)} without evidence (rolled up before usage_evidence existed? " \
               "materialize the month's deployment_usage again)"
    return f"{who}: usage {num(r.usage)}, its {r.evidence_rows} evidence row(s) sum to {num(r.evidence)}"


@dg.asset_check(asset=deployment_usage, blocking=True,
                description="Each subscription's usage of each meter is exactly the sum of its usage_evidence rows "
                            "(the metered intervals behind it), and no evidence is without usage.")
def usage_matches_its_evidence(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return _check(context, warehouse, schema.deployment_usage, audits.usage_not_matching_evidence, _evidence_mismatch)


def _drift_cells(d: InvoiceDrift) -> list[str]:
    def money(cents: int) -> str:
        return f"{format_cents(cents)} {d.currency}"

    lines = "; ".join(f"{ln.description}: {'+' if ln.difference_cents > 0 else ''}{format_cents(ln.difference_cents)}"
                      for ln in d.lines[:3]) + (f"; {len(d.lines) - 3} more" if len(d.lines) > 3 else "")
    return [str(c).replace("|", "\\|") for c in (
        d.period.label, d.invoice_id, d.tenant_id, d.status, money(d.invoiced_total_cents),
        money(d.recomputed_total_cents), money(d.difference_cents), lines or "tax only", d.action)]


@dg.asset_check(asset=tenant_invoices,
                description="Warns when an invoice no longer matches its month's current data: the month is "
                            "recomputed in memory by the same engine (usage, quotes, totals; nothing written) and "
                            "every invoice whose lines or totals would change is named, worst first, with the "
                            "difference in cents and what to do. Issued and paid invoices count net of credit notes.")
def invoices_match_current_data(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    drifts, not_invoiced, not_recomputable = [], [], []
    with warehouse.engine.connect() as conn:
        months = checked_periods(context, conn, schema.tenant_invoices)
        for period in months:
            report = period_drift(conn, period)
            drifts += report.drifts
            not_invoiced += [f"{period.label}: {tenant}" for tenant in report.not_invoiced]
            not_recomputable += [f"{period.label}: invoice {i}: {why}" for i, why in report.not_recomputable.items()]
    drifts.sort(key=lambda d: (-abs(d.difference_cents), -(d.over_billed_cents + d.under_billed_cents),
                               d.period, d.invoice_id))
    return dg.AssetCheckResult(
        passed=not drifts and not not_invoiced, severity=dg.AssetCheckSeverity.WARN,
        metadata={"months": names(p.label for p in months), "drifted_invoices": len(drifts),
                  "worst_first": markdown_table(["month", "invoice", "tenant", "status", "invoiced", "recomputed",
                                                 "difference", "lines", "what to do"], map(_drift_cells, drifts)),
                  "not_invoiced": names(not_invoiced) + ("" if not not_invoiced else ": re-run the month"),
                  "not_recomputable": names(not_recomputable)})
