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

That is the `default` shape. Its usage repeats (whole hours, two volume sizes), so the quote engine
prices a few distinct lines; `SHAPES` names others, each with its own price book, which the same
month-end must handle as cheaply (issue 24; history only for `default`):

- `issue24`: the default's layout (2 deployments x 4 droplets and 1 volume, the same price book:
  two meters, a fractional price per GB-hour) with times to the second and volume sizes of 10 to
  2,000 GB, so hardly two subscriptions use the same quantities (about 6.4 quote rows a tenant).
- `metered`: plans far below their tenants' use, fractional prices per droplet hour and GB-hour,
  2 deployments x 3 droplets and 2 volumes of 500 to 16,384 GB; times to the second.
- `churn`: mid-month changes: every other deployment changes plan inside April (a cancelled and a
  new subscription), addons of two kinds and quantities, droplets resized or replaced inside April,
  volumes detached and re-attached with another size (about 16 intervals a tenant in April).
"""

from __future__ import annotations

import queue
import random
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable, Iterator

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


def generate(url: str, tenants: int, history_months: int = 0, seed: int = 2026, shape: str = "default") -> Shape:
    """Migrate the warehouse at `url` and fill it with `tenants` synthetic tenants of `shape`
    (SHAPES), with `history_months` months of closed history before April (default shape only)."""
    if shape != "default" and history_months:
        raise ValueError(f"history is generated for the default shape only, not {shape!r}")
    kind = SHAPES[shape]
    chunks = _chunks(tenants, History(history_months), seed) if kind.chunk is None else (
        kind.chunk(first, min(first + CHUNK_TENANTS, tenants), rng)
        for rng in [random.Random(seed)] for first in range(0, tenants, CHUNK_TENANTS))
    counted = {table: 0 for table in COLUMNS}
    engine = create_warehouse_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            for table, rows in kind.price_book.items():
                conn.execute(sa.insert(table), rows)
            for chunk in _ahead(chunks):
                for table, rows in chunk.items():
                    bulk_insert(conn, table, rows, COLUMNS[table])
                    counted[table] += len(rows)
            volumes = conn.scalar(sa.select(sa.func.count()).where(t.metered_resources.c.resource_kind == "volume"))
    finally:
        engine.dispose()
    if kind.chunk is None:
        return expected_shape(tenants, history_months)
    return Shape(counted[t.tenants], counted[t.deployments], counted[t.subscriptions], counted[t.metered_resources],
                 volumes, counted[t.subscription_addons])


# -- the other shapes (issue 24) ----------------------------------------------------------------

Rows = dict[sa.Table, list[tuple]]


@dataclass(frozen=True)
class DataShape:
    """A named shape of data: its price book, and the rows of tenants first..last-1 drawn from
    `rng` (None: the default's generator, which also writes history)."""

    price_book: dict
    chunk: Callable[[int, int, random.Random], Rows] | None


def _meter(plan: str, meter: str, kind: str, included: int, price: str) -> dict:
    return {"plan_code": plan, "effective_from": VERSION, "meter": meter, "resource_kind": kind,
            "included_quantity": Decimal(included), "overage_unit_price_cents": Decimal(price)}


METERED_PRICE_BOOK = {
    t.plans: [
        {"code": "compute", "effective_from": VERSION, "name": "Compute", "base_price_cents": 2400, "currency": "AUD"},
        {"code": "scale", "effective_from": VERSION, "name": "Scale", "base_price_cents": 12000, "currency": "AUD"},
    ],
    t.plan_meters: [
        _meter("compute", "droplet_hours", "droplet", 500, "1.0417"),
        _meter("compute", "volume_gb_hours", "volume", 10_000, "0.01389"),
        _meter("scale", "droplet_hours", "droplet", 1500, "0.8333"),
        _meter("scale", "volume_gb_hours", "volume", 200_000, "0.0104"),
    ],
    t.addons: PRICE_BOOK[t.addons],
}
CHURN_PRICE_BOOK = {
    **PRICE_BOOK,
    t.addons: [*PRICE_BOOK[t.addons],
               {"code": "backups", "effective_from": VERSION, "name": "Backups", "price_cents": 480,
                "resource_kind": "droplet"}],
}


def _any_second(rng: random.Random, since: datetime, days: int) -> datetime:
    return since + timedelta(seconds=rng.randrange(days * 86_400))


def _tenant(rows: Rows, n: int) -> tuple[str, list[tuple[int, str, str]]]:
    """Tenant n's row and its deployments' rows; its (index, deployment, subscription) ids."""
    tenant = f"t{n:06d}"
    rows[t.tenants].append((tenant, f"Tenant {n}", "NZ" if n % 10 == 9 else "AU"))
    ids = []
    for k in range(DEPLOYMENTS_PER_TENANT):
        d = n * DEPLOYMENTS_PER_TENANT + k
        dep = f"d{d:07d}"
        rows[t.deployments].append((dep, tenant, dep, f"arcadia-{dep}"))
        ids.append((d, dep, f"s{d:07d}"))
    return tenant, ids


def _issue24_chunk(first: int, last: int, rng: random.Random) -> Rows:
    """The default's layout and price book, its quantities seldom alike."""
    rows: Rows = {table: [] for table in COLUMNS}
    for n in range(first, last):
        tenant, ids = _tenant(rows, n)
        for d, dep, sub in ids:
            started = _inside_april(rng) if d % 10 == 5 else _any_second(rng, SINCE, 31)
            rows[t.subscriptions].append((sub, tenant, dep, PLANS[d % 2], "active", started, None))
            if d % 3 == 0:
                rows[t.subscription_addons].append((sub, "storage_50gb", 1))
            for r in range(RESOURCES_PER_DEPLOYMENT):
                g = d * RESOURCES_PER_DEPLOYMENT + r
                volume = r == RESOURCES_PER_DEPLOYMENT - 1
                at = _inside_april(rng) if g % 10 in (1, 4, 7) else _any_second(rng, SINCE, 31)
                ended = _inside_april(rng) + timedelta(days=1) if g % 20 == 2 else None
                kind, size = ("volume", Decimal(rng.randint(10, 2000))) if volume else ("droplet", Decimal(1))
                rows[t.metered_resources].append((kind, f"r{g:08d}", at, dep, None if volume else SLUG, size, ended,
                                                  ended or SEEN))
    return rows


def _metered_chunk(first: int, last: int, rng: random.Random) -> Rows:
    """Every deployment far over both meters' allowances: 3 droplets and 2 large volumes."""
    rows: Rows = {table: [] for table in COLUMNS}
    for n in range(first, last):
        tenant, ids = _tenant(rows, n)
        for d, dep, sub in ids:
            started = _inside_april(rng) if d % 10 == 5 else SINCE
            rows[t.subscriptions].append((sub, tenant, dep, ("compute", "scale")[d % 2], "active", started, None))
            if d % 3 == 0:
                rows[t.subscription_addons].append((sub, "storage_50gb", 1 + d % 4))
            for r in range(5):
                g = d * 5 + r
                volume = r >= 3
                at = _inside_april(rng) if g % 10 in (1, 4) else _any_second(rng, SINCE, 31)
                ended = _inside_april(rng) + timedelta(days=1) if g % 20 == 2 else None
                kind, size = ("volume", Decimal(rng.randint(500, 16_384))) if volume else ("droplet", Decimal(1))
                rows[t.metered_resources].append((kind, f"r{g:08d}", at, dep, None if volume else SLUG, size, ended,
                                                  ended or SEEN))
    return rows


def _churn_chunk(first: int, last: int, rng: random.Random) -> Rows:
    """Plans changed, droplets resized or replaced, volumes re-attached: all inside April."""
    rows: Rows = {table: [] for table in COLUMNS}
    subs, addons, metered = rows[t.subscriptions], rows[t.subscription_addons], rows[t.metered_resources]
    for n in range(first, last):
        tenant, ids = _tenant(rows, n)
        for d, dep, sub in ids:
            if d % 2 == 0:  # a plan change: the old subscription ends where the new one starts
                change = _inside_april(rng)
                subs.append((f"{sub}.0", tenant, dep, PLANS[d % 4 // 2], "cancelled", SINCE, change))
                subs.append((sub, tenant, dep, PLANS[1 - d % 4 // 2], "active", change, None))
                if d % 4 == 0:
                    addons.append((f"{sub}.0", "backups", 1))
            else:
                subs.append((sub, tenant, dep, PLANS[d % 4 // 2], "active",
                             _inside_april(rng) if d % 10 == 5 else SINCE, None))
            if d % 3 != 2:
                addons.append((sub, "storage_50gb", 1 + d % 3))
            if d % 5 == 1:
                addons.append((sub, "backups", 2))
            for r in range(4):
                g = d * 4 + r
                metered += _churned(g, dep, rng) if r < 3 else _reattached(g, dep, rng)
    return rows


def _churned(g: int, dep: str, rng: random.Random) -> list[tuple]:
    """A droplet resized (the same id, another slug) or replaced (another id) inside April, or
    one that runs all month."""
    rid, start = f"r{g:08d}", _any_second(rng, SINCE, 20)
    if g % 3 == 2:
        return [("droplet", rid, start, dep, SLUG, Decimal(1), None, SEEN)]
    change = _inside_april(rng)
    if g % 3 == 0:
        first_slug, later_id, later_slug = SLUG, rid, OTHER_SLUGS[0]
    else:
        first_slug, later_id, later_slug = OTHER_SLUGS[1], f"{rid}.1", SLUG
    return [("droplet", rid, start, dep, first_slug, Decimal(1), change, change),
            ("droplet", later_id, change, dep, later_slug, Decimal(1), None, SEEN)]


def _reattached(g: int, dep: str, rng: random.Random) -> list[tuple]:
    """A volume attached before April, detached and re-attached twice inside it, each time
    with another size."""
    rid = f"r{g:08d}"
    cuts = sorted(_inside_april(rng) for _ in range(4))
    starts, ends = [_any_second(rng, SINCE, 20), cuts[1], cuts[3]], [cuts[0], cuts[2], None]
    return [("volume", rid, start, dep, None, Decimal(rng.randint(20, 4000)), end, end or SEEN)
            for start, end in zip(starts, ends)]


SHAPES: dict[str, DataShape] = {
    "default": DataShape(PRICE_BOOK, None),
    "issue24": DataShape(PRICE_BOOK, _issue24_chunk),
    "metered": DataShape(METERED_PRICE_BOOK, _metered_chunk),
    "churn": DataShape(CHURN_PRICE_BOOK, _churn_chunk),
}
