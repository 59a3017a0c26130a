"""`tenant_invoices` and `tenant_invoice_lines`: one invoice per tenant and period (rules 5-7).

Idempotent per partition under a partition lock, in one transaction: tenants already invoiced
are skipped; with `force`, drafts are recomputed in place (same id, lines replaced) and issued,
paid or void invoices are left alone. Quote lines are copied into invoices by one statement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import InvoiceTotals, invoice_totals, one_currency
from arcadia_pipelines.billing.money import to_decimal
from arcadia_pipelines.billing.periods import Period

from .billing_errors_store import failed_tenants, replace_errors
from .reads import load_price_book
from .schema import deployment_quotes, tenant_invoice_lines, tenant_invoices, tenants
from .sqlfuncs import lock_partition


@dataclass
class InvoicesResult:
    created: list[str] = field(default_factory=list)
    recomputed: list[str] = field(default_factory=list)
    skipped_existing: list[str] = field(default_factory=list)
    left_alone: dict[str, str] = field(default_factory=dict)  # tenant -> status, under force
    errors: list[BillingError] = field(default_factory=list)
    lines_written: int = 0


def _tenant_subtotals(conn: sa.Connection, period: Period):
    q = deployment_quotes
    stmt = (sa.select(q.c.tenant_id, q.c.currency, sa.cast(sa.func.sum(q.c.amount_cents), sa.BigInteger).label("subtotal"),
                      sa.func.count().label("lines"), tenants.c.country)
            .join(tenants, tenants.c.id == q.c.tenant_id)
            .where(q.c.period_start == period.start)
            .group_by(q.c.tenant_id, q.c.currency, tenants.c.country)
            .order_by(q.c.tenant_id))
    by_tenant = defaultdict(list)
    for r in conn.execute(stmt):
        by_tenant[r.tenant_id].append(r)
    return by_tenant


def _insert_ignoring_existing(conn: sa.Connection):
    """INSERT .. ON CONFLICT (tenant_id, period_start) DO NOTHING: a concurrent writer's invoice wins."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return (insert(tenant_invoices).on_conflict_do_nothing(index_elements=["tenant_id", "period_start"])
            .returning(tenant_invoices.c.id, tenant_invoices.c.tenant_id))


def _copy_quote_lines(period: Period) -> sa.Insert:
    """Quote lines become the lines of every draft of the period that has none yet."""
    q, i, ln = deployment_quotes, tenant_invoices, tenant_invoice_lines
    line_no = sa.func.row_number().over(partition_by=q.c.tenant_id,
                                        order_by=(q.c.deployment_id, q.c.window_start, q.c.subscription_id, q.c.line_no))
    src = (sa.select(i.c.id, line_no, q.c.kind, q.c.deployment_id, q.c.subscription_id, q.c.resource_kind,
                     q.c.meter, q.c.description, q.c.quantity, q.c.unit_price_cents, q.c.amount_cents)
           .join(i, sa.and_(i.c.tenant_id == q.c.tenant_id, i.c.period_start == q.c.period_start))
           .where(q.c.period_start == period.start, i.c.status == "draft",
                  ~sa.exists().where(ln.c.invoice_id == i.c.id)))
    return sa.insert(ln).from_select(
        ["invoice_id", "line_no", "kind", "deployment_id", "subscription_id", "resource_kind", "meter",
         "description", "quantity", "unit_price_cents", "amount_cents"], src)


def _tax_line(invoice_id: int, line_no: int, totals: InvoiceTotals) -> dict:
    t = totals.tax_line
    return {"invoice_id": invoice_id, "line_no": line_no, "kind": "tax", "deployment_id": None,
            "subscription_id": None, "resource_kind": None, "meter": None, "description": t.description,
            "quantity": to_decimal(t.quantity, 12), "unit_price_cents": to_decimal(t.unit_price_cents),
            "amount_cents": t.amount_cents}


def write_invoices(engine: sa.Engine, period: Period, force: bool = False) -> InvoicesResult:
    result = InvoicesResult()
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        lock_partition(conn, "tenant_invoices", period.start)
        book = load_price_book(conn)
        skip = failed_tenants(conn, period, ("usage", "quotes"))
        existing = {r.tenant_id: r for r in conn.execute(
            sa.select(tenant_invoices.c.id, tenant_invoices.c.tenant_id, tenant_invoices.c.status)
            .where(tenant_invoices.c.period_start == period.start).with_for_update())}
        totals: dict[str, tuple[InvoiceTotals, int]] = {}
        for tenant_id, groups in _tenant_subtotals(conn, period).items():
            if tenant_id in skip:
                continue
            try:
                currency = one_currency(tenant_id, (g.currency for g in groups))
            except BillingError as e:
                result.errors.append(e)
                continue
            tax = book.tax_rate(groups[0].country, period.start)
            totals[tenant_id] = (invoice_totals(currency, sum(g.subtotal for g in groups), tax),
                                 sum(g.lines for g in groups))

        ids: dict[str, int] = {}
        new_rows, redo_rows = [], []
        for tenant_id, (t, _) in totals.items():
            amounts = {"currency": t.currency, "subtotal_cents": t.subtotal_cents,
                       "tax_cents": t.tax_cents, "total_cents": t.total_cents, "updated_at": now}
            inv = existing.get(tenant_id)
            if inv is None:
                new_rows.append({"tenant_id": tenant_id, "period_start": period.start,
                                 "period_end": period.end, "status": "draft", "created_at": now, **amounts})
            elif not force:
                result.skipped_existing.append(tenant_id)
            elif inv.status != "draft":
                result.left_alone[tenant_id] = inv.status
            else:
                redo_rows.append({"invoice_id": inv.id, **amounts})
                ids[tenant_id] = inv.id
                result.recomputed.append(tenant_id)
        if new_rows:
            for r in conn.execute(_insert_ignoring_existing(conn), new_rows):
                ids[r.tenant_id] = r.id
                result.created.append(r.tenant_id)
        if redo_rows:
            i = tenant_invoices
            conn.execute(sa.update(i).where(i.c.id == sa.bindparam("invoice_id"), i.c.status == "draft"),
                         redo_rows)
            redo_ids = [r["invoice_id"] for r in redo_rows]
            for chunk in range(0, len(redo_ids), 1000):
                conn.execute(sa.delete(tenant_invoice_lines)
                             .where(tenant_invoice_lines.c.invoice_id.in_(redo_ids[chunk:chunk + 1000])))
        if ids:
            result.lines_written = conn.execute(_copy_quote_lines(period)).rowcount
            tax_lines = [_tax_line(ids[tenant], n + 1, t) for tenant, (t, n) in totals.items()
                         if tenant in ids and t.tax_line]
            if tax_lines:
                conn.execute(sa.insert(tenant_invoice_lines), tax_lines)
                result.lines_written += len(tax_lines)
        replace_errors(conn, period, "invoices", result.errors)
    return result
