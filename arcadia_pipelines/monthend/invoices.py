"""`tenant_invoices` and `tenant_invoice_lines`: one invoice per tenant and period (rules 5-7).

Idempotent per partition under a partition lock, in one transaction: tenants already invoiced
are skipped; with `force`, drafts are recomputed in place (same id, lines replaced) with the
current tax rate, and issued, paid or void invoices are left alone; the draft of a tenant with bad
input is kept and held back (invoicing/drafts.py). Each
invoice keeps the tax name and rate it applied (`tax_name`, `tax_rate`), so a later `tax_rates`
change leaves kept invoices consistent. Tenants are invoiced a batch at a time: their totals
computed here (billing/invoice.py), their drafts written by invoicing/drafts.py.
"""

from __future__ import annotations

from collections import ChainMap, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import InvoiceTotals, invoice_totals, one_currency
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import PriceBook
from arcadia_pipelines.invoicing.drafts import DraftsWritten, write_drafts
from arcadia_pipelines.invoicing.events import append_month_end_events
from arcadia_pipelines.warehouse.reads import BATCH_TENANTS, TenantRange, load_price_book, tenant_ranges
from arcadia_pipelines.warehouse.schema import deployment_quotes, tenant_invoice_lines, tenant_invoices, tenants

from .billing_errors_store import errors_by_tenant, period_errors, replace_errors
from .progress import stage_progress
from .shards import WHOLE_MONTH, Shard
from .stage import month_end_stage
from .statistics import refresh


@dataclass
class InvoicesResult(DraftsWritten):
    errors: list[BillingError] = field(default_factory=list)


@dataclass(frozen=True)
class _Run:
    period: Period
    force: bool
    now: datetime
    book: PriceBook
    skip: dict[str, list[BillingError]]  # tenants with bad input found by an earlier stage, and their errors


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


def write_invoices(engine: sa.Engine, period: Period, force: bool = False,
                   shard: Shard = WHOLE_MONTH) -> InvoicesResult:
    """Invoice the shard's tenants for the period in one transaction (the module's rules)."""
    result = InvoicesResult()
    with month_end_stage(engine, period_start=period.start, heavy=True, shard=shard) as conn:
        run = _Run(period, force, datetime.now(timezone.utc), load_price_book(conn),
                   errors_by_tenant(period_errors(conn, period, ("usage", "quotes"))))
        progress = stage_progress(conn, "invoices", period.label, shard.tenants)
        for tenant_range in tenant_ranges(conn, within=shard.tenants):
            _write_batch(conn, run, tenant_range, result)
            progress.advance(BATCH_TENANTS)
        replace_errors(conn, period, "invoices", result.errors, shard.tenants)
        if result.lines_written:
            refresh(conn, tenant_invoices, tenant_invoice_lines, unless_busy=shard.has_siblings)
        if result.created or result.recomputed:  # last: it holds the events feed's lock until commit
            append_month_end_events(conn, period.start, run.now, shard.tenants)
        progress.finish()
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
    found = len(result.errors)
    totals = _totals(conn, run, tenant_range, result)
    refused = ChainMap(errors_by_tenant(result.errors[found:]), run.skip)
    write_drafts(conn, run.period, tenant_range, run.now, run.force, totals, refused, result)
