"""What a `tenant_invoices` run reports about each of its months: invoices by status, a preview of
the first ones, tenants with bad input (refused, or with their draft kept and held back), whether it
billed nobody, and its money as numbers to plot (invoiced subtotal, tax and total, credited). Counted in SQL, so a month of a million invoices
reports in constant memory."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.invoicing.drafts import HELD, held_reason
from arcadia_pipelines.monthend.billing_errors_store import period_errors
from arcadia_pipelines.warehouse.month_figures import invoiced
from arcadia_pipelines.warehouse.schema import tenant_invoices

from ..metadata import PREVIEW_ROWS, amounts_by_currency, markdown_table, names

PREVIEW_COLUMNS = ["period", "tenant", "currency", "subtotal", "tax", "total", "status"]
_IN_CHUNK = 500  # tenants looked up per statement


@dataclass
class MonthReport:
    metadata: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    held: set = field(default_factory=set)  # tenants whose draft is kept and held back
    empty: bool = False

    def failure_lines(self) -> list[str]:
        """One per error: the tenant refused, or its draft kept and held with the rule."""
        return [f"- tenant {e.tenant_id}: {HELD}: {held_reason([e])}" if e.tenant_id in self.held else f"- {e}"
                for e in self.failures]


def failure_description(report: dict[Period, MonthReport]) -> str:
    held = {(t, p) for p, month in report.items() for t in month.held}
    refused = {(e.tenant_id, p) for p, month in report.items() for e in month.failures} - held
    told = [f"{len(refused)} tenant(s) got no invoice because of bad input"] if refused else []
    told += [f"{len(held)} tenant(s) have their draft kept and held back from issuing until their input is "
             "fixed"] if held else []
    return ("; ".join(told) + "; every other tenant was invoiced:\n"
            + "\n".join(line for month in report.values() for line in month.failure_lines()))


def held_drafts(conn: sa.Connection, period: Period, tenants: set[str]) -> set[str]:
    """Which of `tenants` have a draft of the period held back (by the unique tenant/period index)."""
    i, wanted, held = tenant_invoices, sorted(tenants), set()
    for n in range(0, len(wanted), _IN_CHUNK):
        held.update(conn.scalars(sa.select(i.c.tenant_id).where(
            i.c.period_start == period.start, i.c.tenant_id.in_(wanted[n:n + _IN_CHUNK]),
            i.c.held_reason.is_not(None))))
    return held


def empty_month_warning(months: list[str]) -> str | None:
    """One line for months that billed nobody: no invoice and no tenant with bad input."""
    if not months:
        return None
    return (f"{', '.join(months)} billed nobody: no invoice and no billing error, no subscription is billed "
            "(is ARCADIA_WAREHOUSE_URL the warehouse you meant?)")


def _money(conn: sa.Connection, period: Period) -> dict[str, object]:
    """The month's money as numbers: in its currency (the one most of its invoices are in), and in
    each other currency under its own name."""
    by_currency = invoiced(conn, period)
    main = min(by_currency, key=lambda c: (-by_currency[c].invoices, c)) if by_currency else "none"
    fields = {"invoiced_subtotal": "subtotal_cents", "invoiced_tax": "tax_cents", "invoiced_total": "total_cents",
              "credited": "credited_cents"}
    return {"tenants_invoiced": sum(f.tenants for f in by_currency.values()),
            **amounts_by_currency(main, {name: {c: getattr(f, attr) for c, f in by_currency.items()}
                                         for name, attr in fields.items()})}


def month_report(conn: sa.Connection, period: Period) -> MonthReport:
    i = tenant_invoices
    counts = Counter(dict(conn.execute(sa.select(i.c.status, sa.func.count()).where(i.c.period_start == period.start)
                                       .group_by(i.c.status)).all()))
    failures = period_errors(conn, period)
    preview = conn.execute(
        sa.select(i.c.period_start, i.c.tenant_id, i.c.currency, i.c.subtotal_cents, i.c.tax_cents, i.c.total_cents,
                  i.c.status)
        .where(i.c.period_start == period.start).order_by(i.c.tenant_id).limit(PREVIEW_ROWS)).all()
    empty = not counts and not failures
    invoices, failed = counts.total(), {e.tenant_id for e in failures}
    held = held_drafts(conn, period, failed)
    rules = {e.tenant_id: e.rule for e in reversed(failures)}  # each held tenant's first rule
    metadata = {
        "dagster/row_count": invoices, "failed_tenants": names(failed), "empty_month": empty,
        "held_drafts": names(sorted(f"{t} {period.label} ({HELD}: {rules[t]})" for t in held)),
        "invoices_by_status": markdown_table(["status", "invoices"], sorted(counts.items())),
        "preview": markdown_table(PREVIEW_COLUMNS, [
            (r.period_start, r.tenant_id, r.currency, format_cents(r.subtotal_cents), format_cents(r.tax_cents),
             format_cents(r.total_cents), r.status) for r in preview], total=invoices),
        "tenants_refused": len(failed), **_money(conn, period),
    }
    if empty:
        metadata["warning"] = empty_month_warning([period.label])
    return MonthReport(metadata, failures, held, empty)


def invoice_report(engine: sa.Engine, months: list[Period]) -> dict[Period, MonthReport]:
    """Each month's report, oldest first."""
    with engine.connect() as conn:
        return {period: month_report(conn, period) for period in months}
