"""`deployment_usage`: each billed subscription's metered quantity inside its window.

Set-based SQL aggregates every lifetime interval in the database, and the same statement sums
the product of whole hours and size and inserts it: exact on PostgreSQL (NUMERIC), and on SQLite
as long as sizes are whole numbers (droplets count 1, volumes whole gigabytes), which its integer
arithmetic keeps exact. SQLite keeps sizes as decimal text that its arithmetic would turn into
floats, so when any size is fractional (or huge) Python multiplies instead (exact decimals), a
batch of tenants at a time, and bulk-inserts the result.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import METER_RESOURCE_KINDS
from arcadia_pipelines.warehouse.reads import TenantRange, billed_subscriptions, tenant_ranges
from arcadia_pipelines.warehouse.schema import deployment_usage, metered_resources, subscriptions
from arcadia_pipelines.warehouse.sqlfuncs import bulk_insert, epoch_us, greatest, least, refresh_statistics

from .billing_errors_store import replace_errors
from .stage import month_end_stage

HOUR_US = 3_600_000_000
METER_OF_KIND = {kind: meter for meter, kind in METER_RESOURCE_KINDS.items()}


@dataclass
class UsageResult:
    rows: int = 0
    subscriptions: int = 0
    by_meter: dict[str, Decimal] = field(default_factory=dict)
    errors: list[BillingError] = field(default_factory=list)


def _overlaps(period: Period, tenant_range: TenantRange = TenantRange()):
    """Billed subscriptions joined to their deployment's intervals, with each overlap in µs
    and its whole hours: ceil(overlap / 1 h), 0 when they do not overlap."""
    subs = billed_subscriptions(period).where(*tenant_range.where(subscriptions.c.tenant_id)).subquery("subs")
    m = metered_resources
    lo = greatest(epoch_us(m.c.started_at), subs.c.ws)
    hi = least(sa.func.coalesce(epoch_us(m.c.ended_at), subs.c.we), subs.c.we)
    hours = (greatest(hi - lo, 0) + (HOUR_US - 1)) // HOUR_US  # each bound evaluated once per row
    joined = subs.join(m, sa.and_(m.c.deployment_id == subs.c.deployment_id,
                                  m.c.resource_kind.in_(METER_OF_KIND)))
    return subs, m, hours, joined


def usage_groups(period: Period, tenant_range: TenantRange = TenantRange()) -> sa.Select:
    """Whole hours per (subscription, resource kind, size)."""
    subs, m, hours, joined = _overlaps(period, tenant_range)
    return (sa.select(subs.c.id.label("subscription_id"), subs.c.tenant_id, subs.c.deployment_id,
                      m.c.resource_kind, m.c.quantity, sa.func.sum(hours).label("hours"))
            .select_from(joined)
            .group_by(subs.c.id, subs.c.tenant_id, subs.c.deployment_id, m.c.resource_kind, m.c.quantity))


def usage_rows(period: Period) -> sa.Select:
    """`deployment_usage` rows of the period: the sum of whole hours x size per subscription and
    resource kind, exact where the database's arithmetic on sizes is (PostgreSQL NUMERIC)."""
    subs, m, hours, joined = _overlaps(period)
    return (sa.select(sa.literal(period.start, sa.Date), subs.c.id, sa.case(METER_OF_KIND, value=m.c.resource_kind),
                      subs.c.tenant_id, subs.c.deployment_id, m.c.resource_kind, sa.func.sum(hours * m.c.quantity))
            .select_from(joined)
            .group_by(subs.c.id, subs.c.tenant_id, subs.c.deployment_id, m.c.resource_kind))


def _any_interval(*conditions: sa.ColumnElement[bool]) -> sa.Select:
    """Whether any droplet or volume interval, of any month, meets the conditions: one scan of
    `metered_resources`, no join."""
    m = metered_resources
    return sa.select(m.c.resource_id).where(m.c.resource_kind.in_(METER_OF_KIND), *conditions).limit(1)


def sizes_sqlite_cannot_multiply() -> sa.Select:
    """A size that is not a whole number of at most 12 digits (fractional, negative, empty, or
    so large that a product could leave SQLite's 64-bit integers): its arithmetic would go
    through float. The usage statement multiplies intervals from other months too (by 0 hours,
    still a float), so any month counts."""
    q = sa.cast(metered_resources.c.quantity, sa.Text)
    return _any_interval(sa.or_(q.op("GLOB")(sa.literal("*[^0-9]*", sa.Text)), q == "", sa.func.length(q) > 12))


def suspect_intervals() -> sa.Select:
    """An interval that ends before it starts or has a negative size, in any month: only then is
    `broken_intervals` (a join over every billed subscription's window) worth running."""
    m = metered_resources
    return _any_interval(sa.or_(epoch_us(m.c.ended_at) < epoch_us(m.c.started_at),
                                sa.cast(m.c.quantity, sa.Numeric) < 0))


def broken_intervals(period: Period) -> sa.Select:
    """Intervals inside a subscription's window that cannot be metered: ending before they
    start, or a negative size. A broken interval from another month does not block this one."""
    subs, m, _, joined = _overlaps(period)
    start = epoch_us(m.c.started_at)
    starts_inside = sa.and_(start >= subs.c.ws, start < subs.c.we)
    overlaps = sa.and_(start < subs.c.we, sa.func.coalesce(epoch_us(m.c.ended_at), subs.c.we) > subs.c.ws)
    ends_first = sa.and_(m.c.ended_at.is_not(None), epoch_us(m.c.ended_at) < start, starts_inside)
    return (sa.select(subs.c.tenant_id, subs.c.id.label("subscription_id"), m.c.resource_kind,
                      m.c.resource_id, m.c.started_at, m.c.ended_at, m.c.quantity)
            .select_from(joined)
            .where(sa.or_(ends_first, sa.and_(sa.cast(m.c.quantity, sa.Numeric) < 0, overlaps))))


def _interval_error(r) -> BillingError:
    what = f"metered {r.resource_kind} {r.resource_id} (started {r.started_at:%Y-%m-%d %H:%M:%S})"
    if r.quantity < 0:
        return BillingError("negative_quantity", f"{what} has quantity {r.quantity}",
                            tenant_id=r.tenant_id, subscription_id=r.subscription_id)
    return BillingError("interval_ends_before_start", f"{what} ends at {r.ended_at} before it starts",
                        tenant_id=r.tenant_id, subscription_id=r.subscription_id)


def write_usage(engine: sa.Engine, period: Period) -> UsageResult:
    """Replace the period's usage in one transaction; bad intervals are recorded per tenant."""
    result = UsageResult()
    with month_end_stage(engine, period_start=period.start, heavy=True) as conn:
        if conn.execute(suspect_intervals()).first():
            result.errors = [_interval_error(r) for r in conn.execute(broken_intervals(period))]
        conn.execute(sa.delete(deployment_usage).where(deployment_usage.c.period_start == period.start))
        if conn.dialect.name == "postgresql" or not conn.execute(sizes_sqlite_cannot_multiply()).first():
            _insert_in_database(conn, period, result)
        else:
            for tenant_range in tenant_ranges(conn):
                _insert_from_python(conn, period, tenant_range, result)
        replace_errors(conn, period, "usage", result.errors)
        u = deployment_usage
        refresh_statistics(conn, u.c.period_start, u.c.tenant_id, u.c.subscription_id)
    return result


def _insert_in_database(conn: sa.Connection, period: Period, result: UsageResult) -> None:
    u = deployment_usage
    conn.execute(sa.insert(u).from_select(
        ["period_start", "subscription_id", "meter", "tenant_id", "deployment_id", "resource_kind", "quantity"],
        usage_rows(period)))
    summary = conn.execute(sa.select(u.c.meter, sa.func.count(), sa.func.sum(u.c.quantity))
                           .where(u.c.period_start == period.start).group_by(u.c.meter)).all()
    result.rows = sum(n for _, n, _ in summary)
    result.subscriptions = conn.scalar(sa.select(sa.func.count(sa.distinct(u.c.subscription_id)))
                                       .where(u.c.period_start == period.start))
    result.by_meter = {meter: qty for meter, _, qty in summary}


def _insert_from_python(conn: sa.Connection, period: Period, tenant_range: TenantRange,
                        result: UsageResult) -> None:
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for g in conn.execute(usage_groups(period, tenant_range)):
        totals[(g.subscription_id, g.tenant_id, g.deployment_id, g.resource_kind)] += Decimal(g.hours) * g.quantity
    rows = [{"period_start": period.start, "subscription_id": sub, "tenant_id": tenant,
             "deployment_id": dep, "meter": METER_OF_KIND[kind], "resource_kind": kind,
             "quantity": qty} for (sub, tenant, dep, kind), qty in totals.items()]
    bulk_insert(conn, deployment_usage, rows)
    result.rows += len(rows)
    result.subscriptions += len({sub for sub, *_ in totals})
    for r in rows:
        result.by_meter[r["meter"]] = result.by_meter.get(r["meter"], Decimal(0)) + r["quantity"]
