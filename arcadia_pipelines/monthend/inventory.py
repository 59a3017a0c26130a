"""`do_inventory`: one observation of DigitalOcean's live inventory folded into `metered_resources`.

A resource has at most one open interval (`ended_at` NULL). An observation at time T, in one
transaction under the inventory lock, with a handful of set-based statements against a staging
table of what was listed:

1. an open interval whose resource is no longer listed closes at its `last_seen_at`;
2. a listed resource whose intervals are all closed reopens its latest one (DigitalOcean never
   reuses ids, so it was skipped by a listing, not gone);
3. an open interval whose size, quantity or deployment changed closes at T;
4. a listed resource with no open interval opens one: from its `created_at` when it is new,
   from T when it follows a closed one;
5. every open interval's `last_seen_at` becomes T.

An observation older than the latest recorded one changes nothing (a slow run never moves time
backwards); repeating one with the same inventory and the same T changes nothing either.

Deployment: the one whose `do_tag` the resource carries. A resource carrying the tags of several
deployments is attributed to none (`deployment_id` NULL) and reported as ambiguous: billing a
tenant for a resource another tenant also claims is worse than billing nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from arcadia_pipelines.billing.periods import as_utc
from arcadia_pipelines.digitalocean.timestamps import parse_timestamp
from arcadia_pipelines.warehouse.schema import deployments, do_inventory_observations, metered_resources
from arcadia_pipelines.warehouse.types import ExactDecimal, UtcDateTime

from .metering_gaps import latest_observation
from .stage import month_end_stage

AMBIGUOUS_RULE = "ambiguous tags: attributed to no deployment"


@dataclass(frozen=True)
class Observed:
    """One listed DigitalOcean resource, as metering sees it."""

    resource_kind: str  # droplet | volume
    resource_id: str
    tags: tuple[str, ...]
    size_slug: str | None
    quantity: Decimal
    created_at: datetime


def observed_droplet(d: dict) -> Observed:
    """A droplet (GPU droplets too) counts 1 per hour of its size."""
    return Observed("droplet", str(d["id"]), tuple(d.get("tags") or ()), d.get("size_slug") or d["size"]["slug"],
                    Decimal(1), parse_timestamp(d["created_at"]))


def observed_volume(v: dict) -> Observed:
    """A volume counts its size in GB per hour."""
    return Observed("volume", str(v["id"]), tuple(v.get("tags") or ()), None, Decimal(v["size_gigabytes"]),
                    parse_timestamp(v["created_at"]))


@dataclass
class InventoryResult:
    observed_at: datetime
    seen: int = 0  # resources listed
    new: int = 0  # resources seen for the first time
    opened: int = 0  # intervals opened: new resources and the successors of changed ones
    closed: int = 0  # intervals closed: vanished resources and changed ones
    vanished: int = 0
    reappeared: int = 0
    resized: list[str] = field(default_factory=list)
    retagged: list[str] = field(default_factory=list)  # moved to another deployment, or to none
    untagged: int = 0  # listed resources on no deployment (no known tag, or ambiguous tags)
    ambiguous: list[str] = field(default_factory=list)
    rows: int = 0
    newer_observation: datetime | None = None  # set when this one was older and ignored


# What was listed, one row per resource; created per observation and dropped at its end.
_listed = sa.Table(
    "do_inventory_listed", sa.MetaData(),
    sa.Column("resource_kind", sa.Text, primary_key=True),
    sa.Column("resource_id", sa.Text, primary_key=True),
    sa.Column("deployment_id", sa.Text),
    sa.Column("size_slug", sa.Text),
    sa.Column("quantity", ExactDecimal),
    sa.Column("first_start", UtcDateTime),  # where a brand-new resource's first interval starts
    prefixes=["TEMPORARY"],
)


def _attribute(resources: Iterable[Observed], tag_owner: dict[str, str], result: InventoryResult,
               observed_at: datetime) -> list[dict]:
    rows = {}
    for r in resources:
        owners = sorted({tag_owner[t] for t in r.tags if t in tag_owner})
        if len(owners) > 1:
            result.ambiguous.append(f"{r.resource_kind} {r.resource_id} ({', '.join(owners)})")
        deployment = owners[0] if len(owners) == 1 else None
        result.untagged += deployment is None
        rows[(r.resource_kind, r.resource_id)] = {
            "resource_kind": r.resource_kind, "resource_id": r.resource_id, "deployment_id": deployment,
            "size_slug": r.size_slug, "quantity": r.quantity, "first_start": min(r.created_at, observed_at)}
    return list(rows.values())


def _same(a, b):
    return sa.and_(a.c.resource_kind == b.c.resource_kind, a.c.resource_id == b.c.resource_id)


def _differs(m, s):
    return sa.or_(m.c.size_slug.is_distinct_from(s.c.size_slug),
                  sa.cast(m.c.quantity, sa.Numeric) != sa.cast(s.c.quantity, sa.Numeric),
                  m.c.deployment_id.is_distinct_from(s.c.deployment_id))


def _record_observation(conn: sa.Connection, row: dict) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(do_inventory_observations).on_conflict_do_nothing(index_elements=["observed_at"]), row)


def _close_vanished(conn: sa.Connection) -> int:
    m = metered_resources
    return conn.execute(sa.update(m).where(m.c.ended_at.is_(None), ~sa.exists().where(_same(_listed, m)))
                        .values(ended_at=m.c.last_seen_at)).rowcount


def _reopen_reappeared(conn: sa.Connection) -> int:
    m, m2 = metered_resources, metered_resources.alias("m2")
    latest_start = sa.select(sa.func.max(m2.c.started_at)).where(_same(m2, m)).scalar_subquery()
    return conn.execute(sa.update(m).where(
        m.c.ended_at.is_not(None), sa.exists().where(_same(_listed, m)), m.c.started_at == latest_start,
        ~sa.exists().where(_same(m2, m), m2.c.ended_at.is_(None))).values(ended_at=None)).rowcount


def _classify_changes(conn: sa.Connection, result: InventoryResult) -> None:
    m, s = metered_resources, _listed
    for c in conn.execute(sa.select(m.c.resource_kind, m.c.resource_id, m.c.size_slug, m.c.quantity,
                                    m.c.deployment_id, s.c.size_slug.label("new_slug"),
                                    s.c.quantity.label("new_quantity"), s.c.deployment_id.label("new_deployment"))
                          .join(s, _same(s, m)).where(m.c.ended_at.is_(None), _differs(m, s))):
        name = f"{c.resource_kind} {c.resource_id}"
        if (c.size_slug, c.quantity) != (c.new_slug, c.new_quantity):
            result.resized.append(name)
        if c.deployment_id != c.new_deployment:
            result.retagged.append(name)


def _close_changed(conn: sa.Connection, at) -> int:
    m = metered_resources
    changed = sa.and_(m.c.ended_at.is_(None), sa.exists().where(_same(_listed, m), _differs(m, _listed)))
    closed = conn.execute(sa.update(m).where(changed, m.c.started_at < at).values(ended_at=at, last_seen_at=at))
    # An interval opened at this very time (a repeated observation that now lists something else)
    # has no duration: it is replaced rather than closed.
    conn.execute(sa.delete(m).where(changed, m.c.started_at >= at))
    return closed.rowcount


def _open_missing(conn: sa.Connection, at) -> int:
    """An interval for every listed resource without an open one: from `at` after earlier
    intervals, else from its creation."""
    m, s = metered_resources, _listed
    has_history = sa.exists().where(_same(m, s))
    return conn.execute(sa.insert(m).from_select(
        ["resource_kind", "resource_id", "started_at", "deployment_id", "size_slug", "quantity", "last_seen_at"],
        sa.select(s.c.resource_kind, s.c.resource_id, sa.case((has_history, at), else_=s.c.first_start),
                  s.c.deployment_id, s.c.size_slug, s.c.quantity, at)
        .where(~sa.exists().where(_same(m, s), m.c.ended_at.is_(None))))).rowcount


def observe_inventory(engine: sa.Engine, resources: Iterable[Observed], observed_at: datetime) -> InventoryResult:
    """Fold one listing of the whole inventory, taken at `observed_at`, into `metered_resources`."""
    m = metered_resources
    observed_at = as_utc(observed_at)
    at = sa.literal(observed_at, UtcDateTime)
    result = InventoryResult(observed_at)
    with month_end_stage(engine, "do_inventory") as conn:
        latest = latest_observation(conn)
        if latest is not None and observed_at < latest:
            result.newer_observation = latest
            return result
        tag_owner = dict(conn.execute(sa.select(deployments.c.do_tag, deployments.c.id)).all())
        listed = _attribute(resources, tag_owner, result, observed_at)
        result.seen = len(listed)
        _listed.create(conn)
        if listed:
            conn.execute(sa.insert(_listed), listed)
        result.vanished = _close_vanished(conn)
        result.reappeared = _reopen_reappeared(conn)
        _classify_changes(conn, result)
        result.closed = result.vanished + _close_changed(conn, at)
        result.opened = _open_missing(conn, at)
        result.new = result.opened - len(set(result.resized) | set(result.retagged))
        conn.execute(sa.update(m).where(m.c.ended_at.is_(None), m.c.last_seen_at < at).values(last_seen_at=at))
        _listed.drop(conn)
        _record_observation(conn, {
            "observed_at": observed_at,
            "droplets": sum(r["resource_kind"] == "droplet" for r in listed),
            "volumes": sum(r["resource_kind"] == "volume" for r in listed)})
        result.rows = conn.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
    return result
