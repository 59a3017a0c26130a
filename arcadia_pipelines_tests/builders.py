"""A small language for writing warehouse source rows in tests, with contract defaults."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.warehouse import schema as t


def at(y, m, d, h=0, minute=0, s=0) -> datetime:
    return datetime(y, m, d, h, minute, s, tzinfo=timezone.utc)


class World:
    """Source rows for one test, written through the warehouse schema."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def _insert(self, table, **row):
        with self.engine.begin() as c:
            c.execute(sa.insert(table), row)
        return self

    def tenant(self, id, country="AU", name=None):
        return self._insert(t.tenants, id=id, name=name or id.title(), country=country)

    def deployment(self, id, tenant_id, do_tag=None):
        return self._insert(t.deployments, id=id, tenant_id=tenant_id, name=id, do_tag=do_tag or f"tag-{id}")

    def plan(self, code, base, currency="AUD", effective_from=date(2026, 1, 1), meters=(), name=None):
        """meters: (meter, resource_kind, included, unit price cents)."""
        self._insert(t.plans, code=code, effective_from=effective_from, name=name or code.title(),
                     base_price_cents=base, currency=currency)
        for meter, kind, included, price in meters:
            self._insert(t.plan_meters, plan_code=code, effective_from=effective_from, meter=meter,
                         resource_kind=kind, included_quantity=Decimal(str(included)),
                         overage_unit_price_cents=Decimal(str(price)))
        return self

    def addon(self, code, price, resource_kind=None, effective_from=date(2026, 1, 1)):
        return self._insert(t.addons, code=code, effective_from=effective_from, name=code, price_cents=price,
                            resource_kind=resource_kind)

    def subscription(self, id, tenant_id, deployment_id, plan_code, started_at, ended_at=None,
                     status=None, addons=()):
        status = status or ("cancelled" if ended_at else "active")
        self._insert(t.subscriptions, id=id, tenant_id=tenant_id, deployment_id=deployment_id,
                     plan_code=plan_code, status=status, started_at=started_at, ended_at=ended_at)
        for code, qty in addons:
            self._insert(t.subscription_addons, subscription_id=id, addon_code=code, quantity=qty)
        return self

    def resource(self, deployment_id, resource_id, started_at, ended_at=None, kind="droplet", quantity=1,
                 last_seen_at=None, size_slug="s-1vcpu-1gb"):
        return self._insert(t.metered_resources, resource_kind=kind, resource_id=resource_id,
                            started_at=started_at, deployment_id=deployment_id, size_slug=size_slug,
                            quantity=Decimal(str(quantity)), ended_at=ended_at,
                            last_seen_at=last_seen_at or ended_at or at(2026, 5, 1))

    def tax_rate(self, country, rate, name="Tax", effective_from=date(2000, 1, 1)):
        return self._insert(t.tax_rates, country=country, effective_from=effective_from, name=name,
                            rate=Decimal(str(rate)))

    def worked_example(self, tenant="pilot"):
        """The contract's worked example: studio + storage_50gb, three droplets all April 2026."""
        self.plan("studio", 5000, meters=[("droplet_hours", "droplet", 1488, 1)])
        self.addon("storage_50gb", 750, resource_kind="volume")
        return self.example_tenant(tenant)

    def example_tenant(self, tenant, country="AU"):
        dep = f"dep-{tenant}"
        self.tenant(tenant, country=country).deployment(dep, tenant)
        self.subscription(f"sub-{tenant}", tenant, dep, "studio", at(2026, 3, 1), addons=[("storage_50gb", 1)])
        for n in range(3):
            self.resource(dep, f"{tenant}-droplet-{n}", at(2026, 3, 15))
        return self


def rows(engine: sa.Engine, table, order_by=None, **where):
    q = sa.select(table).where(*(table.c[k] == v for k, v in where.items()))
    if order_by is not None:
        q = q.order_by(*[table.c[c] for c in order_by.split()])
    with engine.connect() as c:
        return [r._asdict() for r in c.execute(q)]
