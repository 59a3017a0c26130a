"""Metering gaps: when we stopped observing DigitalOcean's inventory.

An open interval is billed as running until the end of the window. That is only true while
`do_inventory` keeps seeing the resource; an interval last seen long before the period ended
(observations stopped, but nobody saw the resource vanish) may bill hours that never ran.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.schema import do_inventory_observations, metered_resources

from .usage import may_matter

STALE_HOURS = 2
STALE_AFTER = timedelta(hours=STALE_HOURS)


def latest_observation(conn: sa.Connection) -> datetime | None:
    return conn.execute(sa.select(sa.func.max(do_inventory_observations.c.observed_at))).scalar()


def stale_open_intervals(conn: sa.Connection, period: Period, now: datetime | None = None) -> list[sa.Row]:
    """Open intervals billed to a deployment in `period` whose resource was last seen more than
    STALE_AFTER before the period ended (or before now, while it has not). Read through the
    usage stage's index of intervals that may matter to the month, not the closed history."""
    m = metered_resources
    cutoff = min(period.end_at, now or datetime.now(timezone.utc)) - STALE_AFTER
    return conn.execute(
        sa.select(m.c.resource_kind, m.c.resource_id, m.c.deployment_id, m.c.last_seen_at)
        .where(may_matter(period), m.c.ended_at.is_(None), m.c.deployment_id.is_not(None),
               m.c.started_at < period.end_at,
               m.c.last_seen_at < cutoff)
        .order_by(m.c.last_seen_at, m.c.resource_kind, m.c.resource_id)).all()


def describe_gaps(gaps: list[sa.Row], limit: int = 20) -> str:
    shown = "; ".join(f"{g.resource_kind} {g.resource_id} ({g.deployment_id}) last seen "
                      f"{g.last_seen_at:%Y-%m-%d %H:%M} UTC" for g in gaps[:limit])
    more = f"; and {len(gaps) - limit} more" if len(gaps) > limit else ""
    return (f"{len(gaps)} open metered interval(s) were not observed in the last {STALE_HOURS} hours of the "
            f"month and are billed as running to its end (do_inventory stopped observing them): {shown}{more}")
