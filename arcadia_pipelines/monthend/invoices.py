"""`tenant_invoices` and `tenant_invoice_lines`: one invoice per tenant and period (rules 5-7).

Idempotent per partition under a partition lock, in one transaction: tenants already invoiced
are skipped; with `force`, drafts are recomputed in place (same id, lines replaced) with the
current tax rate, and issued, paid or void invoices are left alone. Each invoice keeps the tax
name and rate it applied (`tax_name`, `tax_rate`), so a later `tax_rates` change leaves kept
invoices consistent.

Tenants are invoiced a batch at a time: their new invoices are staged (bulk insert into a
temporary table) and inserted by one statement, recomputed drafts are updated by one statement,
and their quote lines are copied into invoice lines by one INSERT .. SELECT.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import InvoiceTotals, invoice_totals, one_currency
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import PriceBook
from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.invoice_moves import append_month_end_events
from arcadia_pipelines.warehouse.reads import TenantRange, load_price_book, tenant_ranges
from arcadia_pipelines.warehouse.schema import deployment_quotes, tenant_invoice_lines, tenant_invoices, tenants
from arcadia_pipelines.warehouse.sqlfuncs import bulk_insert

from .billing_errors_store import failed_tenants, replace_errors
from .shards import WHOLE_MONTH, Shard
from .stage import month_end_stage


@dataclass
class InvoicesResult:
    created: list[str] = field(default_factory=list)
    recomputed: list[str] = field(default_factory=list)
    skipped_existing: list[str] = field(default_factory=list)
    left_alone: dict[str, str] = field(default_factory=dict)  # tenant -> status, under force
    errors: list[BillingError] = field(default_factory=list)
    lines_written: int = 0


@dataclass(frozen=True)
class _Run:
    period: Period
    force: bool
    now: datetime
    book: PriceBook
    skip: set[str]  # tenants with bad input found by an earlier stage


def _tenant_subtotals(conn: sa.Connection, period: Period, tenant_range: TenantRange):
    q = deployment_quotes
    stmt = (sa.select(q.c.tenant_id, q.c.currency, sa.cast(sa.func.sum(q.c.amount_cents), sa.BigInteger).label("subtotal"),
                      sa.func.count().label("lines"), tenants.c.country)
            .join(tenants, tenants.c.id == q.c.tenant_id)
            .where(q.c.period_start == period.start, *tenant_range.where(q.c.tenant_id),
                   *tenant_range.where(tenants.c.id))  # the batch's tenants only, not a scan of all of them
            .group_by(q.c.tenant_id, q.c.currency, tenants.c.country)
            .order_by(q.c.tenant_id))
    by_tenant = defaultdict(list)
    for r in conn.execute(stmt):
        by_tenant[r.tenant_id].append(r)
    return by_tenant


def _stage(conn: sa.Connection, name: str, rows: list[dict]) -> sa.Table:
    """A temporary table holding `rows` (invoice columns; `invoice_id` is an invoice's id)."""
    i = tenant_invoices
    staged = sa.Table(name, sa.MetaData(), *(sa.Column(k, (i.c[k] if k in i.c else i.c.id).type) for k in rows[0]),
                      prefixes=["TEMPORARY"])
    staged.create(conn)
    bulk_insert(conn, staged, rows)
    return staged


def _insert_new(conn: sa.Connection, rows: list[dict]) -> list[sa.Row]:
    """INSERT .. SELECT .. ON CONFLICT (tenant_id, period_start) DO NOTHING RETURNING id, tenant_id:
    a concurrent writer's invoice wins. (`WHERE true` keeps SQLite from reading ON as a join.)"""
    staged = _stage(conn, "invoices_new", rows)
    insert = dialect_of(conn).insert_ignoring_conflicts(tenant_invoices, ["tenant_id", "period_start"])
    src = sa.select(*staged.c).where(sa.true()).order_by(staged.c.tenant_id)
    inserted = conn.execute(insert.from_select(list(rows[0]), src)
                            .returning(tenant_invoices.c.id, tenant_invoices.c.tenant_id)).all()
    staged.drop(conn)
    return inserted


def _recompute(conn: sa.Connection, rows: list[dict]) -> None:
    """New amounts for drafts, in place (same id), and their old lines gone."""
    staged = _stage(conn, "invoices_redo", rows)
    i, ln = tenant_invoices, tenant_invoice_lines
    conn.execute(sa.update(i).where(i.c.id == staged.c.invoice_id, i.c.status == "draft")
                 .values({c: staged.c[c] for c in rows[0] if c != "invoice_id"}))
    conn.execute(sa.delete(ln).where(ln.c.invoice_id.in_(sa.select(staged.c.invoice_id))))
    staged.drop(conn)


def _copy_quote_lines(period: Period, tenant_range: TenantRange) -> sa.Insert:
    """Quote lines become the lines of every draft of the period (and range) that has none yet."""
    q, i, ln = deployment_quotes, tenant_invoices, tenant_invoice_lines
    line_no = sa.func.row_number().over(partition_by=q.c.tenant_id,
                                        order_by=(q.c.deployment_id, q.c.window_start, q.c.subscription_id, q.c.line_no))
    src = (sa.select(i.c.id, line_no, q.c.kind, q.c.deployment_id, q.c.subscription_id, q.c.resource_kind,
                     q.c.meter, q.c.description, q.c.quantity, q.c.unit_price_cents, q.c.amount_cents)
           .join(i, sa.and_(i.c.tenant_id == q.c.tenant_id, i.c.period_start == q.c.period_start))
           .where(q.c.period_start == period.start, i.c.status == "draft", *tenant_range.where(q.c.tenant_id),
                  *tenant_range.where(i.c.tenant_id),
                  ~sa.exists().where(ln.c.invoice_id == i.c.id)))
    return sa.insert(ln).from_select(
        ["invoice_id", "line_no", "kind", "deployment_id", "subscription_id", "resource_kind", "meter",
         "description", "quantity", "unit_price_cents", "amount_cents"], src)


_TAX_LINE_COLUMNS = ("invoice_id", "line_no", "kind", "description", "quantity", "unit_price_cents", "amount_cents")


def _tax_line(invoice_id: int, line_no: int, totals: InvoiceTotals) -> tuple:
    """The tax line's values (_TAX_LINE_COLUMNS): the rate times the subtotal; no deployment,
    subscription, resource kind or meter."""
    t = totals.tax_line
    return (invoice_id, line_no, "tax", t.description, totals.tax_rate.kept_rate, Decimal(totals.subtotal_cents),
            t.amount_cents)


def _applied_tax(totals: InvoiceTotals) -> dict:
    """The tax name and rate the invoice keeps (the rate as its tax line's quantity states it)."""
    t = totals.tax_rate
    return {"tax_name": t.name, "tax_rate": t.kept_rate} if t else {"tax_name": None, "tax_rate": None}


def write_invoices(engine: sa.Engine, period: Period, force: bool = False,
                   shard: Shard = WHOLE_MONTH) -> InvoicesResult:
    """Invoice the shard's tenants for the period in one transaction (the module's rules)."""
    result = InvoicesResult()
    with month_end_stage(engine, period_start=period.start, heavy=True, shard=shard) as conn:
        run = _Run(period, force, datetime.now(timezone.utc), load_price_book(conn),
                   failed_tenants(conn, period, ("usage", "quotes")))
        for tenant_range in tenant_ranges(conn, within=shard.tenants):
            _write_batch(conn, run, tenant_range, result)
        replace_errors(conn, period, "invoices", result.errors, shard.tenants)
        if result.lines_written:
            i = tenant_invoices
            dialect_of(conn).refresh_statistics(conn, i.c.id, i.c.period_start, i.c.tenant_id, i.c.status,
                                                tenant_invoice_lines.c.invoice_id)
        if result.created or result.recomputed:  # last: it holds the events feed's lock until commit
            append_month_end_events(conn, period.start, run.now, shard.tenants)
    return result


def _totals(conn: sa.Connection, run: _Run, tenant_range: TenantRange,
            result: InvoicesResult) -> dict[str, tuple[InvoiceTotals, int]]:
    """Each invoiceable tenant's totals and number of quote lines."""
    totals = {}
    for tenant_id, groups in _tenant_subtotals(conn, run.period, tenant_range).items():
        if tenant_id in run.skip:
            continue
        try:
            currency = one_currency(tenant_id, (g.currency for g in groups))
            tax = run.book.tax_rate(groups[0].country, run.period.start)
        except BillingError as e:
            result.errors.append(e.for_tenant(tenant_id))
            continue
        totals[tenant_id] = (invoice_totals(currency, sum(g.subtotal for g in groups), tax),
                             sum(g.lines for g in groups))
    return totals


def _write_batch(conn: sa.Connection, run: _Run, tenant_range: TenantRange, result: InvoicesResult) -> None:
    i, period = tenant_invoices, run.period
    existing = {r.tenant_id: r for r in conn.execute(
        sa.select(i.c.id, i.c.tenant_id, i.c.status)
        .where(i.c.period_start == period.start, *tenant_range.where(i.c.tenant_id)).with_for_update())}
    totals = _totals(conn, run, tenant_range, result)
    ids: dict[str, int] = {}
    new_rows, redo_rows = [], []
    for tenant_id, (t, _) in totals.items():
        amounts = {"currency": t.currency, "subtotal_cents": t.subtotal_cents,
                   "tax_cents": t.tax_cents, "total_cents": t.total_cents, "updated_at": run.now,
                   **_applied_tax(t)}
        inv = existing.get(tenant_id)
        if inv is None:
            new_rows.append({"tenant_id": tenant_id, "period_start": period.start,
                             "period_end": period.end, "status": "draft", "created_at": run.now, **amounts})
        elif not run.force:
            result.skipped_existing.append(tenant_id)
        elif inv.status != "draft":
            result.left_alone[tenant_id] = inv.status
        else:
            redo_rows.append({"invoice_id": inv.id, **amounts})
            ids[tenant_id] = inv.id
            result.recomputed.append(tenant_id)
    if run.force:
        for tenant_id, inv in existing.items():
            if inv.status == "draft" and tenant_id not in totals:
                result.left_alone[tenant_id] = "draft kept: bad input or nothing billable now"
    if new_rows:
        for r in _insert_new(conn, new_rows):
            ids[r.tenant_id] = r.id
            result.created.append(r.tenant_id)
    if redo_rows:
        _recompute(conn, redo_rows)
    if ids:
        result.lines_written += conn.execute(_copy_quote_lines(period, tenant_range)).rowcount
        tax_lines = [_tax_line(ids[tenant], n + 1, t) for tenant, (t, n) in totals.items()
                     if tenant in ids and t.tax_line]
        bulk_insert(conn, tenant_invoice_lines, tax_lines, _TAX_LINE_COLUMNS)
        result.lines_written += len(tax_lines)
