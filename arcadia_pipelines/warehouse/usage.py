"""`deployment_usage`: each billed subscription's metered quantity inside its window.

One set-based statement aggregates every lifetime interval in the database; Python only
multiplies whole hours by each size (exact decimals) and writes the result.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import METER_RESOURCE_KINDS

from .billing_errors_store import replace_errors
from .reads import billed_subscriptions
from .schema import deployment_usage, metered_resources
from .sqlfuncs import epoch_us, greatest, least, lock_partition

HOUR_US = 3_600_000_000
METER_OF_KIND = {kind: meter for meter, kind in METER_RESOURCE_KINDS.items()}


@dataclass
class UsageResult:
    rows: int = 0
    subscriptions: int = 0
    by_meter: dict[str, Decimal] = field(default_factory=dict)
    errors: list[BillingError] = field(default_factory=list)


def _overlaps(period: Period):
    """Billed subscriptions joined to their deployment's intervals, with each overlap in µs."""
    subs = billed_subscriptions(period).subquery("subs")
    m = metered_resources
    lo = greatest(epoch_us(m.c.started_at), subs.c.ws)
    hi = least(sa.func.coalesce(epoch_us(m.c.ended_at), subs.c.we), subs.c.we)
    joined = subs.join(m, sa.and_(m.c.deployment_id == subs.c.deployment_id,
                                  m.c.resource_kind.in_(METER_OF_KIND)))
    return subs, m, lo, hi, joined


def usage_groups(period: Period) -> sa.Select:
    """Whole hours per (subscription, resource kind, size): ceil(overlap / 1 h) per interval."""
    subs, m, lo, hi, joined = _overlaps(period)
    hours = sa.case((hi > lo, (hi - lo + (HOUR_US - 1)) // HOUR_US), else_=0)
    return (sa.select(subs.c.id.label("subscription_id"), subs.c.tenant_id, subs.c.deployment_id,
                      m.c.resource_kind, m.c.quantity, sa.func.sum(hours).label("hours"))
            .select_from(joined)
            .group_by(subs.c.id, subs.c.tenant_id, subs.c.deployment_id, m.c.resource_kind, m.c.quantity))


def broken_intervals(period: Period) -> sa.Select:
    """Intervals that cannot be metered: ending before they start, or a negative size."""
    subs, m, lo, hi, joined = _overlaps(period)
    ends_first = sa.and_(m.c.ended_at.is_not(None), epoch_us(m.c.ended_at) < epoch_us(m.c.started_at))
    return (sa.select(subs.c.tenant_id, subs.c.id.label("subscription_id"), m.c.resource_kind,
                      m.c.resource_id, m.c.started_at, m.c.ended_at, m.c.quantity)
            .select_from(joined)
            .where(sa.or_(ends_first, sa.cast(m.c.quantity, sa.Numeric) < 0)))


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
    with engine.begin() as conn:
        lock_partition(conn, "deployment_usage", period.start)
        totals: dict[tuple, Decimal] = defaultdict(Decimal)
        for g in conn.execute(usage_groups(period)):
            key = (g.subscription_id, g.tenant_id, g.deployment_id, g.resource_kind)
            totals[key] += Decimal(g.hours) * g.quantity
        rows = [{"period_start": period.start, "subscription_id": sub, "tenant_id": tenant,
                 "deployment_id": dep, "meter": METER_OF_KIND[kind], "resource_kind": kind,
                 "quantity": qty} for (sub, tenant, dep, kind), qty in totals.items()]
        result.errors = [_interval_error(r) for r in conn.execute(broken_intervals(period))]
        conn.execute(sa.delete(deployment_usage).where(deployment_usage.c.period_start == period.start))
        if rows:
            conn.execute(sa.insert(deployment_usage), rows)
        replace_errors(conn, period, "usage", result.errors)
    result.rows = len(rows)
    result.subscriptions = len({r["subscription_id"] for r in rows})
    for r in rows:
        result.by_meter[r["meter"]] = result.by_meter.get(r["meter"], Decimal(0)) + r["quantity"]
    return result
