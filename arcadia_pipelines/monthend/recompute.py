"""Invoices recomputed in memory from current data by the month-end's own engine, never stored.

The same steps as a month-end, without writing: bad input found by the usage stage's queries,
usage by its ceil-hours statement (`evidence_rows`, optionally as known at an instant), quotes by
`quote_tenants`, totals by `draft_invoice`. The month-to-date preview and the drift check read
it, so a previewed, recomputed and invoiced number cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import InvoiceDraft, draft_invoice
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import PriceBook
from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.reads import TenantRange, billed_terms, load_price_book
from arcadia_pipelines.warehouse.schema import tenants

from .quotes import _Batch, quote_tenants
from .usage import AsOf, _IntervalChecks, _Skip, bad_input, evidence_rows


@dataclass(frozen=True)
class Recomputed:
    """One tenant's invoice as the engine would write it now (`draft`), or why it would not:
    its bad input (`errors`); neither when nothing of the month is billable."""

    tenant_id: str
    draft: InvoiceDraft | None
    errors: tuple[BillingError, ...] = ()


@dataclass(frozen=True)
class PeriodInput:
    """What every tenant range of a period shares: the price book and the usage stage's bad input."""

    period: Period
    book: PriceBook
    errors: dict[str, list[BillingError]]  # tenant -> its usage-stage errors
    skip: _Skip

    @classmethod
    def read(cls, conn: sa.Connection, period: Period) -> "PeriodInput":
        errors, suspect = bad_input(conn, period)
        by_tenant: dict[str, list[BillingError]] = defaultdict(list)
        for e in errors:
            by_tenant[e.tenant_id].append(e)
        skip = _Skip(sorted(by_tenant) or None, _IntervalChecks.any(dialect_of(conn)) if suspect else None)
        return cls(period, load_price_book(conn), dict(by_tenant), skip)


def one_tenant(conn: sa.Connection, tenant_id: str) -> TenantRange | None:
    """The range holding exactly `tenant_id`, or None when there is no such tenant."""
    t = tenants.c
    if conn.scalar(sa.select(t.id).where(t.id == tenant_id)) is None:
        return None
    return TenantRange(conn.scalar(sa.select(sa.func.max(t.id)).where(t.id < tenant_id)), tenant_id)


def recompute(conn: sa.Connection, inputs: PeriodInput, tenant_range: TenantRange,
              as_of: AsOf | None = None) -> Iterator[Recomputed]:
    """Each tenant of the range with a billed subscription or bad input, recomputed; usage as
    known at `as_of` when given (a preview), else as the month-end meters it."""
    period = inputs.period
    usage: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    ev = evidence_rows(period, tenant_range, inputs.skip, with_quantity=False, as_of=as_of).subquery()
    for sub, meter, size, hours in conn.execute(
            sa.select(ev.c.subscription_id, ev.c.meter, ev.c.size, sa.func.sum(ev.c.hours))
            .group_by(ev.c.subscription_id, ev.c.meter, ev.c.size)):
        usage[sub][meter] += Decimal(hours) * size  # exact decimals, as the usage stage's Python path
    batch = _Batch(usage, billed_terms(conn, period, tenant_range))
    countries = dict(conn.execute(sa.select(tenants.c.id, tenants.c.country)
                                  .where(*tenant_range.where(tenants.c.id))).all())
    for tenant_id in sorted(t for t in inputs.errors if t in countries):
        yield Recomputed(tenant_id, None, tuple(inputs.errors[tenant_id]))
    for tenant_id, quotes, errors in quote_tenants(batch, period, inputs.book, set(inputs.errors)):
        if errors or not quotes:
            yield Recomputed(tenant_id, None, tuple(errors))
            continue
        try:
            tax = inputs.book.tax_rate(countries.get(tenant_id), period.start)
        except BillingError as e:
            yield Recomputed(tenant_id, None, (e.for_tenant(tenant_id),))
            continue
        yield Recomputed(tenant_id, draft_invoice(tenant_id, quotes, tax))

