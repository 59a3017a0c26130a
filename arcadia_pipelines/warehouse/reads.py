"""Reads shared by the rollup stages and the quote CLI: the price book and billed subscriptions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from itertools import groupby
from operator import itemgetter
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import Addon, Plan, PlanMeter, PriceBook, TaxRate
from arcadia_pipelines.billing.quote import SubscriptionTerms

from .schema import addons, deployments, plan_meters, plans, subscription_addons, subscriptions, tax_rates, tenants
from .sqlfuncs import epoch_us, greatest, least

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
BATCH_TENANTS = 5000  # tenants a rollup stage holds in memory at a time, unless it says otherwise


def load_price_book(conn: sa.Connection) -> PriceBook:
    """Every version of every plan, addon and tax rate (small tables, read whole)."""
    meters = defaultdict(list)
    for r in conn.execute(sa.select(plan_meters).order_by(plan_meters.c.meter)):
        meters[(r.plan_code, r.effective_from)].append(PlanMeter(
            r.meter, r.resource_kind, Fraction(r.included_quantity), Fraction(r.overage_unit_price_cents)))
    return PriceBook.build(
        (Plan(r.code, r.effective_from, r.name, r.base_price_cents, r.currency,
              tuple(meters[(r.code, r.effective_from)])) for r in conn.execute(sa.select(plans))),
        (Addon(r.code, r.effective_from, r.name, r.price_cents, r.resource_kind)
         for r in conn.execute(sa.select(addons))),
        (TaxRate(r.country.upper(), r.effective_from, r.name, Fraction(r.rate))
         for r in conn.execute(sa.select(tax_rates))),
    )


@dataclass(frozen=True)
class TenantRange:
    """Tenant ids in (after, upto]; None is unbounded. Consecutive ranges cover every id."""

    after: str | None = None
    upto: str | None = None

    def where(self, tenant_id: sa.ColumnElement) -> list[sa.ColumnElement[bool]]:
        return ([tenant_id > self.after] if self.after is not None else []) + \
               ([tenant_id <= self.upto] if self.upto is not None else [])


def tenant_ranges(conn: sa.Connection, size: int = BATCH_TENANTS) -> Iterator[TenantRange]:
    """Consecutive ranges of `size` tenants each (the last one open), so a stage can work on a
    batch of tenants at a time in memory that does not grow with their number."""
    after = None
    while True:
        upto = conn.scalar(sa.select(tenants.c.id).where(*TenantRange(after).where(tenants.c.id))
                           .order_by(tenants.c.id).offset(size - 1).limit(1))
        yield TenantRange(after, upto)
        if upto is None:
            return
        after = upto


def micros(moment: datetime) -> sa.BindParameter:
    """An aware datetime as epoch microseconds, to compare with `epoch_us` of a column."""
    return sa.literal((moment - EPOCH) // timedelta(microseconds=1), sa.BigInteger)


def billed_subscriptions(period: Period) -> sa.Select:
    """Subscriptions whose [started_at, ended_at) overlaps the period, with their window as
    epoch microseconds (ws, we) and the tenant that owns their deployment."""
    s = subscriptions
    p0, p1 = micros(period.start_at), micros(period.end_at)
    start = epoch_us(s.c.started_at)
    end = sa.func.coalesce(epoch_us(s.c.ended_at), p1)
    return (sa.select(s, greatest(start, p0).label("ws"), least(end, p1).label("we"),
                      deployments.c.tenant_id.label("deployment_tenant_id"))
            .outerjoin(deployments, deployments.c.id == s.c.deployment_id)
            .where(start < p1, end > p0))


def billed_terms(conn: sa.Connection, period: Period,
                 tenant_range: TenantRange = TenantRange()) -> list[tuple[SubscriptionTerms, str | None]]:
    """Each billed subscription's terms with its addons, and its deployment's tenant, in
    (tenant, subscription) order. One query: a subscription's addons are consecutive rows."""
    s, a = subscriptions, subscription_addons
    billed = billed_subscriptions(period).outerjoin(a, a.c.subscription_id == s.c.id)
    rows = conn.execute(billed.with_only_columns(
        s.c.id, s.c.tenant_id, s.c.deployment_id, s.c.plan_code, s.c.status, s.c.started_at, s.c.ended_at,
        deployments.c.tenant_id, a.c.addon_code, a.c.quantity)
        .where(*tenant_range.where(s.c.tenant_id)).order_by(s.c.tenant_id, s.c.id, a.c.addon_code))
    billed_list = []
    for _, group in groupby(rows, key=itemgetter(0)):
        first, *more = group
        sub_id, tenant_id, deployment_id, plan_code, status, started_at, ended_at, deployment_tenant, code, qty = first
        addons = ((code, qty),) + tuple((r[8], r[9]) for r in more) if code is not None else ()
        billed_list.append((SubscriptionTerms(sub_id, tenant_id, deployment_id, plan_code, status, started_at,
                                              ended_at, addons), deployment_tenant))
    return billed_list
