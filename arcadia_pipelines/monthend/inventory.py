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

A listing is validated before it gets here (`arcadia_pipelines.digitalocean`: complete, agreeing
with `meta.total`, every item well-formed). What a valid listing can still do is drop resources
that exist: when more than `DisappearanceGuard.max_share` of the open resources of a kind (and at
least `min_count` of them) would close in one observation, it is refused (InventoryRefused) and
the transaction rolls back: no interval closes and no observation is recorded, so
`inventory_is_fresh` keeps warning until a plausible listing arrives. The same share of the open
resources of a kind that are on a deployment suddenly listed on none (their tags gone, unknown or
ambiguous) is refused the same way: they would go on unbilled. `allow=True` applies a real mass
deletion or untagging. A move from one deployment to another still bills someone and is applied.

Deployment: the one whose `do_tag` the resource carries. A resource carrying the tags of several
deployments is attributed to none (`deployment_id` NULL) and reported as ambiguous: billing a
tenant for a resource another tenant also claims is worse than billing nobody.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable

import sqlalchemy as sa

from arcadia_pipelines.billing.periods import as_utc
from arcadia_pipelines.digitalocean.records import InventoryResource
from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.schema import deployments, do_inventory_observations, metered_resources
from arcadia_pipelines.warehouse.types import ExactDecimal, UtcDateTime

from .metering_gaps import latest_observation
from .stage import month_end_stage

AMBIGUOUS_RULE = "ambiguous tags: attributed to no deployment"


@dataclass(frozen=True)
class DisappearanceGuard:
    """Refuses an observation in which more than `max_share` of the open resources of one kind, and
    at least `min_count` of them, disappear at once (or, of those on a deployment, lose it):
    DigitalOcean listing nothing (or half, or without tags) for an hour is likelier than a tenant
    deleting everything, and closing them under-bills every tenant. `min_count` keeps small
    accounts from being blocked by one deletion."""

    max_share: Decimal = Decimal("0.5")
    min_count: int = 3
    allow: bool = False  # a real mass deletion: apply it anyway

    def refuses(self, disappearing: int, open_count: int) -> bool:
        return (not self.allow and disappearing >= self.min_count
                and Decimal(disappearing) > self.max_share * open_count)


class InventoryRefused(Exception):
    """A listing that would close too many open resources at once, or move too many to no deployment;
    nothing of it was applied."""

    def __init__(self, message: str, disappearing: list[str], losing_deployment: list[str]) -> None:
        super().__init__(message)
        self.disappearing = disappearing
        self.losing_deployment = losing_deployment


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


def _attribute(resources: Iterable[InventoryResource], tag_owner: dict[str, str], result: InventoryResult,
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
    conn.execute(dialect_of(conn).insert_ignoring_conflicts(do_inventory_observations, ["observed_at"]), row)


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


def _refused_share(guard: DisappearanceGuard, losing: list[tuple[str, str]], among: list[tuple[str, str]],
                   would: str) -> tuple[list[str], list[str]]:
    """(reasons, resources) for the kinds of which `guard` refuses to lose `losing` out of `among`."""
    losing_count, among_count = Counter(kind for kind, _ in losing), Counter(kind for kind, _ in among)
    refused = [kind for kind in sorted(losing_count) if guard.refuses(losing_count[kind], among_count[kind])]
    limit = f"{(guard.max_share * 100).normalize():f}%"
    reasons = [f"{kind} listing would {would.format(n=losing_count[kind], of=among_count[kind], kind=kind)} "
               f"({100 * losing_count[kind] // among_count[kind]}%), above the {limit} allowed" for kind in refused]
    return reasons, [f"{kind} {rid}" for kind, rid in losing if kind in refused]


def _refuse_mass_loss(conn: sa.Connection, listed: list[dict], guard: DisappearanceGuard) -> None:
    """Raises InventoryRefused when the listing would close, or move to no deployment, more of the
    open resources of a kind than `guard` allows: either way they would go unbilled."""
    m = metered_resources
    listed_on = {(r["resource_kind"], r["resource_id"]): r["deployment_id"] for r in listed}
    open_now = conn.execute(sa.select(m.c.resource_kind, m.c.resource_id, m.c.deployment_id)
                            .where(m.c.ended_at.is_(None))).all()
    everyone = [(kind, rid) for kind, rid, _ in open_now]
    attributed = sorted((kind, rid) for kind, rid, deployment in open_now if deployment is not None)
    gone = sorted(key for key in everyone if key not in listed_on)
    detached = [key for key in attributed if key in listed_on and listed_on[key] is None]
    gone_reasons, disappearing = _refused_share(guard, gone, everyone, "close {n} of {of} open {kind}s")
    detached_reasons, losing_deployment = _refused_share(
        guard, detached, attributed, "move {n} of the {of} {kind}s on a deployment to no deployment")
    if gone_reasons or detached_reasons:
        really = " or ".join(what for what, reasons in (("deleted", gone_reasons), ("untagged", detached_reasons))
                             if reasons)
        raise InventoryRefused(f"{'; '.join(gone_reasons + detached_reasons)}; nothing applied (if they really "
                               f"were {really}, re-run with allow_mass_disappearance)", disappearing, losing_deployment)


def observe_inventory(engine: sa.Engine, resources: Iterable[InventoryResource], observed_at: datetime,
                      guard: DisappearanceGuard = DisappearanceGuard()) -> InventoryResult:
    """Fold one listing of the whole inventory, taken at `observed_at`, into `metered_resources`.
    Raises InventoryRefused, having changed nothing, when `guard` finds the listing implausible."""
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
        _refuse_mass_loss(conn, listed, guard)
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
