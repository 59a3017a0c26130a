"""A synthetic warehouse for April 2026, written through the warehouse schema with bulk inserts.

Shape per tenant: 2 deployments, each with one subscription and 5 metered resources (4 droplets
and 1 volume). Exactly 1 in 10 subscriptions and 3 in 10 resources start inside April, every
third deployment has the `storage_50gb` addon, every tenth tenant is in NZ (no tax line).
Fractions are fixed by index (so tests can check them); times within the month are seeded-random.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import upgrade

PERIOD = Period.parse("2026-04")
DEPLOYMENTS_PER_TENANT = 2
RESOURCES_PER_DEPLOYMENT = 5  # the last one is the volume
CHUNK = 20_000  # rows per executemany call: bounded memory, few round trips
VERSION = date(2026, 1, 1)
SEEN = datetime(2026, 5, 1, 2, tzinfo=timezone.utc)

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


@dataclass(frozen=True)
class Shape:
    tenants: int
    deployments: int
    subscriptions: int
    resources: int
    volumes: int
    addons: int


def expected_shape(tenants: int) -> Shape:
    deployments = tenants * DEPLOYMENTS_PER_TENANT
    resources = deployments * RESOURCES_PER_DEPLOYMENT
    return Shape(tenants, deployments, deployments, resources, deployments, (deployments + 2) // 3)


def _inside_april(rng: random.Random) -> datetime:
    """A moment in April 2026 off the hour, so partial hours get rounded up."""
    return PERIOD.start_at + timedelta(days=rng.randrange(1, 29), seconds=rng.randrange(86_400))


def _rows(tenants: int, rng: random.Random) -> Iterator[tuple[sa.Table, dict]]:
    before = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for n in range(tenants):
        tenant = f"t{n:06d}"
        yield t.tenants, {"id": tenant, "name": f"Tenant {n}", "country": "NZ" if n % 10 == 9 else "AU"}
        for k in range(DEPLOYMENTS_PER_TENANT):
            d = n * DEPLOYMENTS_PER_TENANT + k
            dep, sub = f"d{d:07d}", f"s{d:07d}"
            yield t.deployments, {"id": dep, "tenant_id": tenant, "name": dep, "do_tag": f"arcadia-{dep}"}
            yield t.subscriptions, {
                "id": sub, "tenant_id": tenant, "deployment_id": dep, "plan_code": ("starter", "studio")[d % 2],
                "status": "active", "started_at": _inside_april(rng) if d % 10 == 5 else before, "ended_at": None}
            if d % 3 == 0:
                yield t.subscription_addons, {"subscription_id": sub, "addon_code": "storage_50gb", "quantity": 1}
            for r in range(RESOURCES_PER_DEPLOYMENT):
                g = d * RESOURCES_PER_DEPLOYMENT + r
                volume = r == RESOURCES_PER_DEPLOYMENT - 1
                started = _inside_april(rng) if g % 10 in (1, 4, 7) else before + timedelta(hours=rng.randrange(600))
                ended = _inside_april(rng) + timedelta(days=1) if g % 20 == 2 else None
                yield t.metered_resources, {
                    "resource_kind": "volume" if volume else "droplet", "resource_id": f"r{g:08d}",
                    "started_at": started, "deployment_id": dep, "size_slug": None if volume else "s-2vcpu-4gb",
                    "quantity": Decimal(50 * (1 + g % 2)) if volume else Decimal(1),
                    "ended_at": ended, "last_seen_at": ended or SEEN}


def generate(url: str, tenants: int, seed: int = 2026) -> Shape:
    """Migrate the warehouse at `url` and fill it with `tenants` synthetic tenants."""
    engine = create_warehouse_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            for table, rows in PRICE_BOOK.items():
                conn.execute(sa.insert(table), rows)
            pending: dict[sa.Table, list[dict]] = {}
            for table, row in _rows(tenants, random.Random(seed)):
                batch = pending.setdefault(table, [])
                batch.append(row)
                if len(batch) >= CHUNK:
                    _flush(conn, pending)
            _flush(conn, pending)
    finally:
        engine.dispose()
    return expected_shape(tenants)


def _flush(conn: sa.Connection, pending: dict[sa.Table, list[dict]]) -> None:
    """Write every pending batch, parents before children (foreign keys)."""
    for table in t.metadata.sorted_tables:
        if pending.get(table):
            conn.execute(sa.insert(table), pending[table])
            pending[table] = []
