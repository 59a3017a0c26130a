"""Asset checks on the invoicing assets.

Invoice integrity checks block: a month whose invoices do not add up must not flow into
cost-vs-revenue reporting. Usage and quote coverage checks warn: bad input there is already
a named, per-tenant failure of the run.

A check checks the months of its run: the month, or each month of a range. Run without a
partition (the UI's "Execute all") it checks every month materialized so far; each result
names its months. The checks themselves are not partitioned because Dagster cannot run a
partitioned check in a run without a partition.

The monthly checks of one asset run as one step on one connection (a step per check would add
Dagster's per-step bookkeeping to every month-end run); each is still its own check, with its
own name, severity and result, and can be executed alone."""

from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, NamedTuple

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.billing.money import format_cents, to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.monthend import audits
from arcadia_pipelines.monthend.drift import InvoiceDrift, period_drift
from arcadia_pipelines.warehouse import schema
from arcadia_pipelines.warehouse.dialect import dialect_of

from ..metadata import markdown_table, names
from ..partitions import checked_periods
from ..resources import WarehouseResource
from .assets import deployment_quotes, deployment_usage, tenant_invoices


class Audit(NamedTuple):
    """One monthly integrity check: `audit(conn, month)` returns the rows that break it."""

    spec: dg.AssetCheckSpec
    audit: Callable[[sa.Connection, Period], list]
    describe: Callable[[Any], str]
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR


def _result(check: Audit, conn: sa.Connection, months: list[Period]) -> dg.AssetCheckResult:
    found = [(period.label, row) for period in months for row in check.audit(conn, period)]
    return dg.AssetCheckResult(
        asset_key=check.spec.asset_key, check_name=check.spec.name, passed=not found, severity=check.severity,
        metadata={"months": names(p.label for p in months), "violations": len(found),
                  "examples": dg.MetadataValue.md("\n".join(f"- {p}: {check.describe(r)}" for p, r in found[:20])
                                                  or "none")})


def _checks_of(table: sa.Table, checks: list[Audit]) -> dg.AssetChecksDefinition:
    """The monthly checks of the asset stored in `table`, as one step; a run may select some of them."""

    @dg.multi_asset_check(specs=[c.spec for c in checks], can_subset=True, name=f"{table.name}_checks")
    def monthly_checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        selected = context.selected_asset_check_keys
        with warehouse.engine.connect() as conn:
            dialect_of(conn).without_jit(conn)  # each check reads the whole month once
            months = checked_periods(context, conn, table)
            for check in checks:
                if check.spec.key in selected:
                    yield _result(check, conn, months)

    return monthly_checks


def _bills_nobody(conn: sa.Connection, period: Period) -> list[str]:
    """[the month] when it has no invoice and no billing error, else []."""
    found = [conn.execute(sa.select(table.c.period_start).where(table.c.period_start == period.start).limit(1)).first()
             for table in (schema.tenant_invoices, schema.billing_errors)]
    return [] if any(found) else [period.label]


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


usage_checks = _checks_of(schema.deployment_usage, [
    Audit(dg.AssetCheckSpec("usage_is_not_negative", asset=deployment_usage,
                            description="No negative metered quantity."),
          audits.negative_usage,
          lambda r: f"{r.meter} of subscription {r.subscription_id} ({r.tenant_id}) is {r.quantity}",
          dg.AssetCheckSeverity.WARN),
    Audit(dg.AssetCheckSpec("usage_matches_its_evidence", asset=deployment_usage, blocking=True,
                            description="Each subscription's usage of each meter is exactly the sum of its "
                                        "usage_evidence rows (the metered intervals behind it), and no evidence is "
                                        "without usage."),
          audits.usage_not_matching_evidence, _evidence_mismatch),
])

quote_checks = _checks_of(schema.deployment_quotes, [
    Audit(dg.AssetCheckSpec("every_billed_subscription_is_quoted", asset=deployment_quotes,
                            description="Every billed subscription of a tenant without bad input produced quote "
                                        "lines."),
          audits.unquoted_subscriptions, lambda r: f"subscription {r.id} of {r.tenant_id} has no quote lines",
          dg.AssetCheckSeverity.WARN),
])

invoice_checks = _checks_of(schema.tenant_invoices, [
    Audit(dg.AssetCheckSpec("invoice_lines_add_up", asset=tenant_invoices, blocking=True,
                            description="Every invoice's lines sum to its subtotal and tax, and subtotal + tax = "
                                        "total."),
          audits.invoices_not_adding_up,
          lambda r: f"invoice {r.id} ({r.tenant_id}): lines {r.lines_subtotal} + tax {r.lines_tax}, "
                    f"invoice {r.subtotal_cents} + {r.tax_cents} = {r.total_cents}"),
    Audit(dg.AssetCheckSpec("one_invoice_per_tenant", asset=tenant_invoices, blocking=True,
                            description="Exactly one invoice per tenant and month."),
          audits.duplicate_invoices, lambda r: f"tenant {r.tenant_id} has {r.invoices} invoices"),
    Audit(dg.AssetCheckSpec("tax_follows_the_rule", asset=tenant_invoices, blocking=True,
                            description="Tax is round-half-up(subtotal x the country's rate for the month), or 0 "
                                        "without a rate."),
          audits.wrong_tax, lambda r: f"tenant {r[0]} charged {r[1]}, rule gives {r[2]}"),
    Audit(dg.AssetCheckSpec("month_bills_someone", asset=tenant_invoices,
                            description="Warns when a month bills nobody: no invoice and no billing error (no "
                                        "billable subscription, or a warehouse without source data)."),
          _bills_nobody, lambda _: "billed nobody: no invoice and no billing error", dg.AssetCheckSeverity.WARN),
])


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
