"""What a `tenant_invoices` run reports about its months: invoices by status, a preview of the
first ones, tenants with bad input (refused, or with their draft kept and held back), months that
billed nobody. Counted in SQL, so a month of a million invoices reports in constant memory."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.invoicing.drafts import HELD, held_reason
from arcadia_pipelines.monthend.billing_errors_store import period_errors
from arcadia_pipelines.warehouse.schema import tenant_invoices

from ..metadata import PREVIEW_ROWS, markdown_table, names

PREVIEW_COLUMNS = ["period", "tenant", "currency", "subtotal", "tax", "total", "status"]
_IN_CHUNK = 500  # tenants looked up per statement


@dataclass
class InvoiceReport:
    metadata: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    held: dict = field(default_factory=dict)  # (tenant, period label) -> the rule its draft is held by
    failure_lines: list = field(default_factory=list)  # one per error: refused, or draft kept and held
    warning: str | None = None

    @property
    def failure_description(self) -> str:
        held = {tenant for tenant, _ in self.held}
        refused = {e.tenant_id for e in self.failures} - held
        told = [f"{len(refused)} tenant(s) got no invoice because of bad input"] if refused else []
        told += [f"{len(held)} tenant(s) have their draft kept and held back from issuing until their input is "
                 "fixed"] if held else []
        return "; ".join(told) + "; every other tenant was invoiced:\n" + "\n".join(self.failure_lines)

    def add_failures(self, period: Period, errors: list, held: list[str]) -> None:
        """The month's errors, those of tenants whose draft is held said so with the rule."""
        self.failures += errors
        held = set(held)
        for e in errors:
            if e.tenant_id in held:
                self.held.setdefault((e.tenant_id, period.label), e.rule)
                self.failure_lines.append(f"- tenant {e.tenant_id}: {HELD}: {held_reason([e])}")
            else:
                self.failure_lines.append(f"- {e}")


def held_drafts(conn: sa.Connection, period: Period, tenants: set[str]) -> list[str]:
    """Which of `tenants` have a draft of the period held back (by the unique tenant/period index)."""
    i, wanted, held = tenant_invoices, sorted(tenants), []
    for n in range(0, len(wanted), _IN_CHUNK):
        held += conn.scalars(sa.select(i.c.tenant_id).where(
            i.c.period_start == period.start, i.c.tenant_id.in_(wanted[n:n + _IN_CHUNK]),
            i.c.held_reason.is_not(None)))
    return held


def empty_month_warning(months: list[str]) -> str | None:
    """One line for months that billed nobody: no invoice and no tenant with bad input."""
    if not months:
        return None
    return (f"{', '.join(months)} billed nobody: no invoice and no billing error, no subscription is billed "
            "(is ARCADIA_WAREHOUSE_URL the warehouse you meant?)")


def invoice_report(engine: sa.Engine, months: list[Period]) -> InvoiceReport:
    i = tenant_invoices
    report, per_status, preview, empty = InvoiceReport(), {}, [], []
    with engine.connect() as conn:
        for period in months:
            counts = dict(conn.execute(sa.select(i.c.status, sa.func.count()).where(i.c.period_start == period.start)
                                       .group_by(i.c.status)).all())
            failures = period_errors(conn, period)
            report.add_failures(period, failures, held_drafts(conn, period, {e.tenant_id for e in failures}))
            if len(preview) < PREVIEW_ROWS:
                preview += conn.execute(
                    sa.select(i.c.period_start, i.c.tenant_id, i.c.currency, i.c.subtotal_cents, i.c.tax_cents,
                              i.c.total_cents, i.c.status)
                    .where(i.c.period_start == period.start).order_by(i.c.tenant_id)
                    .limit(PREVIEW_ROWS - len(preview))).all()
            for status, n in counts.items():
                per_status[status] = per_status.get(status, 0) + n
            if not counts and not failures:
                empty.append(period.label)
    report.warning = empty_month_warning(empty)
    invoices = sum(per_status.values())
    report.metadata = {
        "dagster/row_count": invoices, "failed_tenants": names({e.tenant_id for e in report.failures}),
        "held_drafts": names(sorted(f"{t} {label} ({HELD}: {rule})" for (t, label), rule in report.held.items())),
        "empty_month": bool(empty),
        "invoices_by_status": markdown_table(["status", "invoices"], sorted(per_status.items())),
        "preview": markdown_table(PREVIEW_COLUMNS, [
            (r.period_start, r.tenant_id, r.currency, format_cents(r.subtotal_cents), format_cents(r.tax_cents),
             format_cents(r.total_cents), r.status) for r in preview], total=invoices),
    }
    if report.warning:
        report.metadata["warning"] = report.warning
    return report
