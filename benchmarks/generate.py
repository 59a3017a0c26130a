"""A synthetic warehouse for April 2026, written through the warehouse schema with bulk inserts.

Shape per tenant: 2 deployments, each with one subscription and 5 metered resources (4 droplets
and 1 volume). Exactly 1 in 10 subscriptions and 3 in 10 resources start inside April, every
third deployment has the `storage_50gb` addon, every tenth tenant is in NZ (no tax line).
Fractions are fixed by index (so tests can check them); times within the month are seeded-random.

With `history_months` H, each resource also has closed intervals in the H months before April
(HISTORY_AT_24 per resource at H = 24, in proportion to H): droplets resized (the same
resource_id, another size slug) or replaced (another resource_id), volumes detached and
re-attached later (a gap). Every one ends by 2026-04-01 00:00, those of resources that start
inside April exactly then, so none is billed in April; and 1 deployment in 10 had a cancelled
subscription on the other plan until its current one started. History comes from a random
generator of its own: April's rows are the same whatever H is.
"""

from __future__ import annotations

import queue
import random
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import upgrade
from arcadia_pipelines.warehouse.sqlfuncs import bulk_insert

PERIOD = Period.parse("2026-04")
DEPLOYMENTS_PER_TENANT = 2
RESOURCES_PER_DEPLOYMENT = 5  # the last one is the volume
HISTORY_AT_24 = 10  # closed intervals per resource with 24 months of history
CHUNK_TENANTS = 1_000  # tenants generated and written at a time: bounded memory, few round trips
VERSION = date(2026, 1, 1)
SINCE = datetime(2026, 3, 1, tzinfo=timezone.utc)  # current subscriptions start then (or in April)
SEEN = datetime(2026, 5, 1, 2, tzinfo=timezone.utc)
SLUG = "s-2vcpu-4gb"  # every current droplet's size
OTHER_SLUGS = ("s-1vcpu-2gb", "s-4vcpu-8gb", "c-2-4gib")
PLANS = ("starter", "studio")

PRICE_BOOK = {
    t.plans: [
        {"code": "starter", "effective_from": VERSION, "name": "Starter", "base_price_cents": 1500, "currency": "AUD"},
        {"code": "studio", "effective_from": VERSION, "name": "Studio", "base_price_cents": 5000, "currency": "AUD"},
    ],
    t.plan_meters: [
        {"plan_code": "starter", "effective_from": VERSION, "meter": "droplet_hours", "resource_kind": "droplet",
         "included_quantity": Decimal(2160), "overage_unit_price_cents": Decimal("1.5")},
        {"plan_code": "starter", "effective_from": VERSION, "meter": "volume_gb_hours", "resource_kind": "volume",
         "included_quantity": Decimal(0), "overage_unit_price_cents": Decimal("0.0125")},
        {"plan_code": "studio", "effective_from": VERSION, "meter": "droplet_hours", "resource_kind": "droplet",
         "included_quantity": Decimal(1488), "overage_unit_price_cents": Decimal(1)},
        {"plan_code": "studio", "effective_from": VERSION, "meter": "volume_gb_hours", "resource_kind": "volume",
         "included_quantity": Decimal(36000), "overage_unit_price_cents": Decimal("0.005")},
    ],
    t.addons: [
        {"code": "storage_50gb", "effective_from": VERSION, "name": "Storage 50 GB", "price_cents": 750,
         "resource_kind": "volume"},
    ],
}

COLUMNS = {  # the order of the generated tuples, parents before children (foreign keys)
    t.tenants: ("id", "name", "country"),
    t.deployments: ("id", "tenant_id", "name", "do_tag"),
    t.subscriptions: ("id", "tenant_id", "deployment_id", "plan_code", "status", "started_at", "ended_at"),
    t.subscription_addons: ("subscription_id", "addon_code", "quantity"),
    t.metered_resources: ("resource_kind", "resource_id", "started_at", "deployment_id", "size_slug", "quantity",
                          "ended_at", "last_seen_at"),
}


@dataclass(frozen=True)
class Shape:
    tenants: int
    deployments: int
    subscriptions: int  # current ones and the cancelled ones of history
    resources: int  # current intervals (one per resource)
    volumes: int
    addons: int
    history_intervals: int = 0
    closed_subscriptions: int = 0

    @property
    def rows(self) -> int:
        """Rows generated (the price book aside)."""
        return (self.tenants + self.deployments + self.subscriptions + self.addons + self.resources
                + self.history_intervals)


@dataclass(frozen=True)
class History:
    """The H closed months before April that the history is spread over."""

    months: int

    @property
    def start(self) -> datetime:
        months_back = PERIOD.start.year * 12 + PERIOD.start.month - 1 - self.months
        return datetime(months_back // 12, months_back % 12 + 1, 1, tzinfo=timezone.utc)

    def intervals(self, g: int) -> int:
        """Closed intervals of resource g: HISTORY_AT_24 x H / 24 on average, by index."""
        return (self.months * HISTORY_AT_24 + g % 24) // 24

    def closes_subscription(self, d: int) -> bool:
        """Whether deployment d had a cancelled subscription before its current one."""
        return d % 10 == 7 and self.start < SINCE


def expected_shape(tenants: int, history_months: int = 0) -> Shape:
    history = History(history_months)
    deployments = tenants * DEPLOYMENTS_PER_TENANT
    resources = deployments * RESOURCES_PER_DEPLOYMENT
    closed = sum(map(history.closes_subscription, range(deployments)))
    return Shape(tenants, deployments, deployments + closed, resources, deployments, (deployments + 2) // 3,
                 sum(map(history.intervals, range(resources))), closed)


def _inside_april(rng: random.Random) -> datetime:
    """A moment in April 2026 off the hour, so partial hours get rounded up."""
    return PERIOD.start_at + timedelta(days=rng.randrange(1, 29), seconds=rng.randrange(86_400))


def _chunk(first: int, last: int, rng: random.Random, history: History,
           past: random.Random) -> dict[sa.Table, list[tuple]]:
    """Rows (COLUMNS order) of tenants first..last-1. `rng` draws April's times in the same order
    whatever the history, `past` the history's."""
    rows: dict[sa.Table, list[tuple]] = {table: [] for table in COLUMNS}
    tenants, deployments, subs, addons, metered = rows.values()
    for n in range(first, last):
        tenant = f"t{n:06d}"
        tenants.append((tenant, f"Tenant {n}", "NZ" if n % 10 == 9 else "AU"))
        for k in range(DEPLOYMENTS_PER_TENANT):
            d = n * DEPLOYMENTS_PER_TENANT + k
            dep, sub = f"d{d:07d}", f"s{d:07d}"
            deployments.append((dep, tenant, dep, f"arcadia-{dep}"))
            subs.append((sub, tenant, dep, PLANS[d % 2], "active", _inside_april(rng) if d % 10 == 5 else SINCE, None))
            if history.closes_subscription(d):
                started = history.start + (SINCE - history.start) * past.random()
                subs.append((f"{sub}.0", tenant, dep, PLANS[(d + 1) % 2], "cancelled", started, SINCE))
            if d % 3 == 0:
                addons.append((sub, "storage_50gb", 1))
            for r in range(RESOURCES_PER_DEPLOYMENT):
                g = d * RESOURCES_PER_DEPLOYMENT + r
                volume = r == RESOURCES_PER_DEPLOYMENT - 1
                started = _inside_april(rng) if g % 10 in (1, 4, 7) else SINCE + timedelta(hours=rng.randrange(600))
                ended = _inside_april(rng) + timedelta(days=1) if g % 20 == 2 else None
                kind, size = ("volume", Decimal(50 * (1 + g % 2))) if volume else ("droplet", Decimal(1))
                metered.append((kind, f"r{g:08d}", started, dep, None if volume else SLUG, size, ended, ended or SEEN))
                metered += _past_intervals(g, kind, dep, size, min(started, PERIOD.start_at), history, past)
    return rows


def _past_intervals(g: int, kind: str, dep: str, size: Decimal, until: datetime, history: History,
                    rng: random.Random) -> list[tuple]:
    """Resource g's closed intervals between the history's start and `until` (its current
    interval's start, or April's). Walked from the newest back: each droplet interval ends where
    the next one starts, resized (the same id, another slug) or replaced (another id); each
    volume interval ends some time before it was attached again."""
    n = history.intervals(g)
    if not n:
        return []
    span = int((until - history.start).total_seconds())
    starts = sorted(rng.sample(range(span), n))
    rid, slug, rows, replaced = f"r{g:08d}", SLUG, [], 0
    next_start = span
    for start in reversed(starts):
        if kind == "volume":
            end, slug = start + rng.randint(1, next_start - start), None
        elif rng.random() < 0.4:
            replaced += 1
            end, rid, slug = next_start, f"r{g:08d}.{replaced}", rng.choice(OTHER_SLUGS)
        else:
            end, slug = next_start, rng.choice([s for s in (SLUG, *OTHER_SLUGS) if s != slug])
        ended = history.start + timedelta(seconds=end)
        rows.append((kind, rid, history.start + timedelta(seconds=start), dep, slug, size, ended, ended))
        next_start = start
    return rows


def _chunks(tenants: int, history: History, seed: int) -> Iterator[dict[sa.Table, list[tuple]]]:
    rng, past = random.Random(seed), random.Random(seed + 1)
    for first in range(0, tenants, CHUNK_TENANTS):
        yield _chunk(first, min(first + CHUNK_TENANTS, tenants), rng, history, past)


def _ahead(items: Iterator, depth: int = 2) -> Iterator:
    """The items, made by a thread of its own up to `depth` ahead: generating the next chunk
    overlaps the database's work on this one (the writer waits for it without the GIL)."""
    made: queue.Queue = queue.Queue(depth)
    done = object()

    def make() -> None:
        try:
            for item in items:
                made.put(item)
        except BaseException as e:  # noqa: BLE001 - raised again in the consumer
            made.put(e)
        made.put(done)

    threading.Thread(target=make, daemon=True).start()
    while (item := made.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def generate(url: str, tenants: int, history_months: int = 0, seed: int = 2026) -> Shape:
    """Migrate the warehouse at `url` and fill it with `tenants` synthetic tenants, with
    `history_months` months of closed history before April."""
    engine = create_warehouse_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            for table, rows in PRICE_BOOK.items():
                conn.execute(sa.insert(table), rows)
            for chunk in _ahead(_chunks(tenants, History(history_months), seed)):
                for table, rows in chunk.items():
                    bulk_insert(conn, table, rows, COLUMNS[table])
    finally:
        engine.dispose()
    return expected_shape(tenants, history_months)
