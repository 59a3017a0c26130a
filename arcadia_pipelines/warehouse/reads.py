"""Reads shared by the rollup stages and the quote CLI: the price book and billed subscriptions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.billing.bounds import exact_number, whole_number
from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import Addon, InvalidVersion, Plan, PlanMeter, PriceBook, TaxRate, Versions
from arcadia_pipelines.billing.quote import SubscriptionTerms

from .schema import addons, deployments, plan_meters, plans, subscription_addons, subscriptions, tax_rates, tenants
from .types import LenientDate
from .sqlfuncs import epoch_us, greatest, least

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
BATCH_TENANTS = 5000  # tenants a rollup stage holds in memory at a time, unless it says otherwise


def load_price_book(conn: sa.Connection) -> PriceBook:
    """Every version of every plan, addon and tax rate (small tables, read whole).

    Each value is converted with validation: a version with a value that is no number (SQLite
    keeps any text), or that breaks a bound, becomes an InvalidVersion, which fails only the
    tenants whose month selects it. A code with a version whose effective_from is no date fails
    every month that uses it: when that version applies cannot be known."""
    addon_rows, tax_rate_rows = _versions(conn, addons), _versions(conn, tax_rates)
    undated_addons = _undated(addon_rows, attrgetter("code"))
    undated_taxes = _undated(tax_rate_rows, lambda r: r.country.upper())

    def addon(r) -> Addon | InvalidVersion:
        try:
            return Addon(r.code, r.effective_from, r.name, whole_number(r.price_cents, "price_cents"),
                         r.resource_kind)
        except BillingError as e:
            return InvalidVersion(r.code, r.effective_from, e.rule, e.message)

    def tax_rate(r) -> TaxRate | InvalidVersion:
        try:
            return TaxRate(r.country.upper(), r.effective_from, r.name,
                           exact_number(r.rate, "rate", rule="invalid_tax_rate"))
        except BillingError as e:
            return InvalidVersion(r.country.upper(), r.effective_from, e.rule, e.message)

    return PriceBook.build(
        _plans(conn),
        [*undated_addons.values(), *(addon(r) for r in addon_rows if r.code not in undated_addons)],
        [*undated_taxes.values(), *(tax_rate(r) for r in tax_rate_rows if r.country.upper() not in undated_taxes)])


def load_plan_versions(conn: sa.Connection, code: str) -> Versions[Plan]:
    """Every version of plan `code` with its meters, validated as load_price_book validates them
    (for a read about one subscription, which needs no other price)."""
    return Versions.of("plan", _plans(conn, code))


def _plans(conn: sa.Connection, code: str | None = None) -> list[Plan | InvalidVersion]:
    """Every version of every plan, or of plan `code`, with its meters (see load_price_book)."""
    one = code is not None
    meter_rows = _versions(conn, plan_meters, plan_meters.c.meter,
                           where=plan_meters.c.plan_code == code if one else None)
    plan_rows = _versions(conn, plans, where=plans.c.code == code if one else None)
    undated = _undated(meter_rows, attrgetter("plan_code")) | _undated(plan_rows, attrgetter("code"))
    meters: dict[tuple, list[PlanMeter]] = defaultdict(list)
    unreadable: dict[tuple, BillingError] = {}
    for r in meter_rows:
        try:
            meters[(r.plan_code, r.effective_from)].append(PlanMeter(
                r.meter, r.resource_kind, exact_number(r.included_quantity, f"{r.meter} included_quantity"),
                exact_number(r.overage_unit_price_cents, f"{r.meter} overage_unit_price_cents")))
        except BillingError as e:
            unreadable.setdefault((r.plan_code, r.effective_from), e)

    def plan(r) -> Plan | InvalidVersion:
        try:
            if (r.code, r.effective_from) in unreadable:
                raise unreadable[(r.code, r.effective_from)]
            return Plan(r.code, r.effective_from, r.name, whole_number(r.base_price_cents, "base_price_cents"),
                        r.currency, tuple(meters[(r.code, r.effective_from)]))
        except BillingError as e:
            return InvalidVersion(r.code, r.effective_from, e.rule, e.message)

    return [*undated.values(), *(plan(r) for r in plan_rows if r.code not in undated)]


def _versions(conn: sa.Connection, table: sa.Table, *order_by: sa.Column,
              where: sa.ColumnElement[bool] | None = None) -> list[sa.Row]:
    """Every row of a price table (those matching `where` if given), effective_from read leniently:
    SQLite keeps any text in a DATE column."""
    columns = [sa.type_coerce(c, LenientDate).label(c.name) if c.name == "effective_from" else c for c in table.c]
    stmt = sa.select(*columns).order_by(*order_by)
    return conn.execute(stmt if where is None else stmt.where(where)).all()


def _undated(rows: list[sa.Row], code_of) -> dict[str, InvalidVersion]:
    """Codes with a version whose effective_from is no date, each as one InvalidVersion from the
    first day on, so that every month using the code fails naming it."""
    return {code_of(r): InvalidVersion(code_of(r), date.min, "unreadable_date",
                                       f"a version has effective_from {r.effective_from!r}, not a date")
            for r in rows if not isinstance(r.effective_from, date)}


@dataclass(frozen=True)
class TenantRange:
    """Tenant ids in (after, upto]; None is unbounded. Consecutive ranges cover every id."""

    after: str | None = None
    upto: str | None = None

    def where(self, tenant_id: sa.ColumnElement) -> list[sa.ColumnElement[bool]]:
        return ([tenant_id > self.after] if self.after is not None else []) + \
               ([tenant_id <= self.upto] if self.upto is not None else [])


def tenant_ranges(conn: sa.Connection, size: int = BATCH_TENANTS,
                  within: TenantRange = TenantRange()) -> Iterator[TenantRange]:
    """Consecutive ranges of `size` tenants each covering `within` (the last one ends where it
    ends), so a stage can work on a batch of tenants at a time in memory that does not grow with
    their number."""
    after = within.after
    while True:
        upto = conn.scalar(sa.select(tenants.c.id).where(*TenantRange(after, within.upto).where(tenants.c.id))
                           .order_by(tenants.c.id).offset(size - 1).limit(1))
        if upto is None or upto == within.upto:
            yield TenantRange(after, within.upto)
            return
        yield TenantRange(after, upto)
        after = upto


def micros(moment: datetime) -> sa.BindParameter:
    """An aware datetime as epoch microseconds, to compare with `epoch_us` of a column."""
    return sa.literal((moment - EPOCH) // timedelta(microseconds=1), sa.BigInteger)


def billed_subscriptions(period: Period) -> sa.Select:
    """Subscriptions whose [started_at, ended_at) overlaps the period, with their window as
    epoch microseconds (ws, we) and the tenant that owns their deployment. One with a timestamp
    `epoch_us` cannot read is not billed here; the usage stage names it (unreadable_timestamp)."""
    s = subscriptions
    p0, p1 = micros(period.start_at), micros(period.end_at)
    start, ended = epoch_us(s.c.started_at), epoch_us(s.c.ended_at)
    end = sa.func.coalesce(ended, p1)
    return (sa.select(s, greatest(start, p0).label("ws"), least(end, p1).label("we"),
                      deployments.c.tenant_id.label("deployment_tenant_id"))
            .outerjoin(deployments, deployments.c.id == s.c.deployment_id)
            .where(start < p1, end > p0, sa.or_(s.c.ended_at.is_(None), ended.is_not(None))))


def billed_terms(conn: sa.Connection, period: Period,
                 tenant_range: TenantRange = TenantRange()) -> list[tuple[SubscriptionTerms, str | None]]:
    """Each billed subscription's terms with its addons, and its deployment's tenant, in
    (tenant, subscription) order. One query: a subscription's addons are consecutive rows."""
    s, a = subscriptions, subscription_addons
    billed = billed_subscriptions(period).outerjoin(a, a.c.subscription_id == s.c.id)
    rows = conn.execute(billed.with_only_columns(
        s.c.id, s.c.tenant_id, s.c.deployment_id, s.c.plan_code, s.c.status, s.c.started_at, s.c.ended_at,
        deployments.c.tenant_id, a.c.addon_code, a.c.quantity)
        .where(*tenant_range.where(s.c.tenant_id)).order_by(s.c.tenant_id, s.c.id, a.c.addon_code)).all()
    billed_list = []
    for _, group in groupby(rows, key=itemgetter(0)):
        first, *more = group
        sub_id, tenant_id, deployment_id, plan_code, status, started_at, ended_at, deployment_tenant, code, qty = first
        addons = ((code, qty),) + tuple((r[8], r[9]) for r in more) if code is not None else ()
        billed_list.append((SubscriptionTerms(sub_id, tenant_id, deployment_id, plan_code, status, started_at,
                                              ended_at, addons), deployment_tenant))
    return billed_list
