"""The month-end's create-or-recompute of a month's drafts, a batch of tenants at a time.

For each tenant with totals: no invoice yet -> a new draft; an invoice already there -> left as
it is on a plain re-run, recomputed in place (same id, lines replaced, the current tax rate) with
`force` when it is still a draft (`lifecycle.RECOMPUTABLE`); issued, paid and void invoices are
never touched. New drafts are staged (bulk insert into a temporary table) and inserted by one
statement, recomputed ones updated by one statement, and the month's quote lines copied into
their lines by one INSERT .. SELECT.

**Held drafts.** A tenant whose month has a billing error gets no new invoice, and a draft it
already has is kept as it stands and held back (`held_reason`: the rule and the message), so it
cannot be issued with amounts its data no longer supports (issue.py refuses it). Its usage and
usage evidence are kept as well while the draft stands (`held_back`), so `explain` still shows
what the draft was made from. Once the input is fixed, any re-run, also without `force`,
recomputes a held draft and clears `held_reason`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import InvoiceTotals
from arcadia_pipelines.billing.lifecycle import DRAFT, RECOMPUTABLE
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.reads import TenantRange
from arcadia_pipelines.warehouse.schema import deployment_quotes, tenant_invoice_lines, tenant_invoices
from arcadia_pipelines.warehouse.sqlfuncs import bulk_insert


@dataclass
class DraftsWritten:
    created: list[str] = field(default_factory=list)
    recomputed: list[str] = field(default_factory=list)
    skipped_existing: list[str] = field(default_factory=list)
    left_alone: dict[str, str] = field(default_factory=dict)  # tenant -> status, under force
    held: dict[str, str] = field(default_factory=dict)  # tenant -> held_reason: drafts kept and held
    lines_written: int = 0


HELD = "draft kept and held"  # how a held draft is reported, with its rule


def held_reason(errors: Sequence[BillingError]) -> str:
    """A held draft's reason: its tenant's first billing error (rule: message, and the subscription
    it names), and how many more there are."""
    first = errors[0]
    where = f" (subscription {first.subscription_id})" if first.subscription_id else ""
    more = f"; and {len(errors) - 1} more billing error(s)" if len(errors) > 1 else ""
    return f"{first.rule}: {first.message}{where}{more}"


def held_back(period: Period, tenants: sa.Select) -> sa.Select:
    """Which of `tenants` (a select of tenant ids) have a draft for the period standing: a tenant
    refused now keeps the rows that draft was made from."""
    i = tenant_invoices
    return sa.select(i.c.tenant_id).where(i.c.period_start == period.start, i.c.status.in_(RECOMPUTABLE),
                                          i.c.tenant_id.in_(tenants))


def _stage(conn: sa.Connection, name: str, rows: list[dict], key: str | None = None) -> sa.Table:
    """A temporary table holding `rows` (invoice columns; `invoice_id` is an invoice's id), with
    column `key` as its primary key if given (for a join that looks rows up by it)."""
    i = tenant_invoices
    staged = sa.Table(name, sa.MetaData(), *(sa.Column(k, (i.c[k] if k in i.c else i.c.id).type, primary_key=k == key)
                                             for k in rows[0]), prefixes=["TEMPORARY"])
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
    conn.execute(sa.update(i).where(i.c.id == staged.c.invoice_id, i.c.status.in_(RECOMPUTABLE))
                 .values({c: staged.c[c] for c in rows[0] if c != "invoice_id"}))
    conn.execute(sa.delete(ln).where(ln.c.invoice_id.in_(sa.select(staged.c.invoice_id))))
    staged.drop(conn)


def _copy_quote_lines(conn: sa.Connection, period: Period, tenant_range: TenantRange, ids: dict[str, int]) -> int:
    """Quote lines become the lines of the drafts just created or recomputed (`ids`: tenant id ->
    invoice id, of the period and range); the number of lines written. The quotes are joined to a
    staged copy of `ids`, not to `tenant_invoices`: those drafts were written in this transaction,
    and that table's planner statistics may not know them yet (none, or a sibling shard's), on
    which a plan can take minutes."""
    staged = _stage(conn, "invoices_lined", [{"tenant_id": t, "invoice_id": n} for t, n in ids.items()], key="tenant_id")
    q, ln = deployment_quotes, tenant_invoice_lines
    line_no = sa.func.row_number().over(partition_by=q.c.tenant_id,
                                        order_by=(q.c.deployment_id, q.c.window_start, q.c.subscription_id, q.c.line_no))
    src = (sa.select(staged.c.invoice_id, line_no, q.c.kind, q.c.deployment_id, q.c.subscription_id, q.c.resource_kind,
                     q.c.meter, q.c.description, q.c.quantity, q.c.unit_price_cents, q.c.amount_cents)
           .join(staged, staged.c.tenant_id == q.c.tenant_id)
           .where(q.c.period_start == period.start, *tenant_range.where(q.c.tenant_id)))
    written = conn.execute(sa.insert(ln).from_select(
        ["invoice_id", "line_no", "kind", "deployment_id", "subscription_id", "resource_kind", "meter",
         "description", "quantity", "unit_price_cents", "amount_cents"], src)).rowcount
    staged.drop(conn)
    return written


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


def _hold(conn: sa.Connection, existing: dict[str, sa.Row], refused: Mapping[str, Sequence[BillingError]],
          done: DraftsWritten) -> None:
    """Hold the drafts of refused tenants and free those whose tenant is no longer refused; only
    rows whose hold changes are written."""
    i = tenant_invoices
    changes = []
    held_before = [tenant_id for tenant_id, inv in existing.items() if inv.held_reason is not None]
    for tenant_id in sorted({*(t for t in refused if t in existing), *held_before}):
        inv, errors = existing[tenant_id], refused.get(tenant_id)
        reason = held_reason(errors) if errors and inv.status in RECOMPUTABLE else None
        if reason:
            done.held[tenant_id] = reason
        if reason != inv.held_reason:
            changes.append({"invoice_id": inv.id, "reason": reason})
    if changes:
        conn.execute(sa.update(i).where(i.c.id == sa.bindparam("invoice_id"))
                     .values(held_reason=sa.bindparam("reason")), changes)


def write_drafts(conn: sa.Connection, period: Period, tenant_range: TenantRange, now: datetime, force: bool,
                 totals: dict[str, tuple[InvoiceTotals, int]], refused: Mapping[str, Sequence[BillingError]],
                 done: DraftsWritten) -> None:
    """Create or recompute the drafts of the tenants in `tenant_range` that have `totals` (each
    tenant's totals and number of quote lines), hold those of the `refused` tenants (their billing
    errors), adding what was done to `done`."""
    i = tenant_invoices
    existing = {r.tenant_id: r for r in conn.execute(
        sa.select(i.c.id, i.c.tenant_id, i.c.status, i.c.held_reason)
        .where(i.c.period_start == period.start, *tenant_range.where(i.c.tenant_id)).with_for_update())}
    _hold(conn, existing, refused, done)
    ids: dict[str, int] = {}
    new_rows, redo_rows = [], []
    for tenant_id, (t, _) in totals.items():
        amounts = {"currency": t.currency, "subtotal_cents": t.subtotal_cents,
                   "tax_cents": t.tax_cents, "total_cents": t.total_cents, "updated_at": now,
                   **_applied_tax(t)}
        inv = existing.get(tenant_id)
        if inv is None:
            new_rows.append({"tenant_id": tenant_id, "period_start": period.start,
                             "period_end": period.end, "status": DRAFT, "created_at": now, **amounts})
        elif inv.status in RECOMPUTABLE and (force or inv.held_reason is not None):  # held: fixed since
            redo_rows.append({"invoice_id": inv.id, **amounts})
            ids[tenant_id] = inv.id
            done.recomputed.append(tenant_id)
        elif not force:
            done.skipped_existing.append(tenant_id)
        else:
            done.left_alone[tenant_id] = inv.status
    if force:
        for tenant_id, inv in existing.items():
            if inv.status in RECOMPUTABLE and tenant_id not in totals:
                done.left_alone[tenant_id] = (f"{HELD}: {refused[tenant_id][0].rule}" if tenant_id in done.held
                                              else "draft kept: bad input or nothing billable now")
    if new_rows:
        for r in _insert_new(conn, new_rows):
            ids[r.tenant_id] = r.id
            done.created.append(r.tenant_id)
    if redo_rows:
        _recompute(conn, redo_rows)
    if ids:
        done.lines_written += _copy_quote_lines(conn, period, tenant_range, ids)
        tax_lines = [_tax_line(ids[tenant], n + 1, t) for tenant, (t, n) in totals.items()
                     if tenant in ids and t.tax_line]
        bulk_insert(conn, tenant_invoice_lines, tax_lines, _TAX_LINE_COLUMNS)
        done.lines_written += len(tax_lines)
