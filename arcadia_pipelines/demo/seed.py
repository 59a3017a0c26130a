"""Sample tenants for the demo, the worked example of the contract first.

pilot  (AU): studio + storage_50gb, three droplets all April 2026 -> total 70.64 AUD
harbour (AU): studio from 2026-04-16, one droplet and a 100 GB volume since then
kiwi   (NZ): starter all month; New Zealand has no tax rate here, so no tax line
switch (AU): moves from starter to studio on 2026-04-11 (two prorated subscriptions)

Plus April's USD->AUD rate, to set DigitalOcean's USD bill against AUD revenue.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.dialect import dialect_of


def _at(y, m, d, h=0) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def _droplet(dep, rid, start, end=None, last_seen=None, slug="s-2vcpu-4gb"):
    return {"resource_kind": "droplet", "resource_id": rid, "started_at": start, "deployment_id": dep,
            "size_slug": slug, "quantity": Decimal(1), "ended_at": end, "last_seen_at": last_seen or end}


SEEN = _at(2026, 5, 1, 2)

ROWS = {
    t.tenants: [
        {"id": "pilot", "name": "Pilot Pty Ltd", "country": "AU"},
        {"id": "harbour", "name": "Harbour Analytics", "country": "AU"},
        {"id": "kiwi", "name": "Kiwi Labs", "country": "NZ"},
        {"id": "switch", "name": "Switchback AI", "country": "AU"},
    ],
    t.deployments: [
        {"id": "dep-pilot", "tenant_id": "pilot", "name": "pilot-prod", "do_tag": "arcadia-dep-pilot"},
        {"id": "dep-harbour", "tenant_id": "harbour", "name": "harbour-prod", "do_tag": "arcadia-dep-harbour"},
        {"id": "dep-kiwi", "tenant_id": "kiwi", "name": "kiwi-lab", "do_tag": "arcadia-dep-kiwi"},
        {"id": "dep-switch", "tenant_id": "switch", "name": "switch-prod", "do_tag": "arcadia-dep-switch"},
    ],
    t.plans: [
        {"code": "starter", "effective_from": date(2026, 1, 1), "name": "Starter", "base_price_cents": 1500,
         "currency": "AUD"},
        {"code": "studio", "effective_from": date(2026, 1, 1), "name": "Studio", "base_price_cents": 5000,
         "currency": "AUD"},
    ],
    t.plan_meters: [
        {"plan_code": "starter", "effective_from": date(2026, 1, 1), "meter": "droplet_hours",
         "resource_kind": "droplet", "included_quantity": Decimal(744), "overage_unit_price_cents": Decimal("1.5")},
        {"plan_code": "studio", "effective_from": date(2026, 1, 1), "meter": "droplet_hours",
         "resource_kind": "droplet", "included_quantity": Decimal(1488), "overage_unit_price_cents": Decimal(1)},
        {"plan_code": "studio", "effective_from": date(2026, 1, 1), "meter": "volume_gb_hours",
         "resource_kind": "volume", "included_quantity": Decimal(36000),
         "overage_unit_price_cents": Decimal("0.015")},
    ],
    t.addons: [
        {"code": "storage_50gb", "effective_from": date(2026, 1, 1), "name": "Storage 50 GB",
         "price_cents": 750, "resource_kind": "volume"},
    ],
    t.subscriptions: [
        {"id": "sub-pilot", "tenant_id": "pilot", "deployment_id": "dep-pilot", "plan_code": "studio",
         "status": "active", "started_at": _at(2026, 3, 1), "ended_at": None},
        {"id": "sub-harbour", "tenant_id": "harbour", "deployment_id": "dep-harbour", "plan_code": "studio",
         "status": "active", "started_at": _at(2026, 4, 16, 9), "ended_at": None},
        {"id": "sub-kiwi", "tenant_id": "kiwi", "deployment_id": "dep-kiwi", "plan_code": "starter",
         "status": "active", "started_at": _at(2026, 2, 1), "ended_at": None},
        {"id": "sub-switch-1", "tenant_id": "switch", "deployment_id": "dep-switch", "plan_code": "starter",
         "status": "cancelled", "started_at": _at(2026, 2, 1), "ended_at": _at(2026, 4, 11, 12)},
        {"id": "sub-switch-2", "tenant_id": "switch", "deployment_id": "dep-switch", "plan_code": "studio",
         "status": "active", "started_at": _at(2026, 4, 11, 12), "ended_at": None},
    ],
    t.subscription_addons: [
        {"subscription_id": "sub-pilot", "addon_code": "storage_50gb", "quantity": 1},
    ],
    t.fx_rates: [
        {"period_start": date(2026, 4, 1), "base_currency": "USD", "quote_currency": "AUD", "rate": Decimal("1.55")},
    ],
    t.metered_resources: [
        *(_droplet("dep-pilot", f"9100{n}", _at(2026, 3, 20), last_seen=SEEN) for n in range(3)),
        _droplet("dep-harbour", "92001", _at(2026, 4, 16, 9), last_seen=SEEN),
        {"resource_kind": "volume", "resource_id": "vol-harbour-data", "started_at": _at(2026, 4, 16, 9),
         "deployment_id": "dep-harbour", "size_slug": None, "quantity": Decimal(100), "ended_at": None,
         "last_seen_at": SEEN},
        _droplet("dep-kiwi", "93001", _at(2026, 1, 5), last_seen=SEEN),
        _droplet("dep-kiwi", "93002", _at(2026, 4, 20), end=_at(2026, 4, 22, 7, )),
        *(_droplet("dep-switch", f"9400{n}", _at(2026, 2, 1), last_seen=SEEN, slug="g-8vcpu-32gb")
          for n in range(2)),
    ],
}


def seed(conn: sa.Connection) -> None:
    """Insert the sample rows that are not there yet (by key), so seeding twice changes nothing
    and never touches rows a warehouse already has."""
    dialect = dialect_of(conn)
    for table, rows in ROWS.items():
        conn.execute(dialect.insert_ignoring_conflicts(table), rows)
