"""Issue 22: a tenant whose `country` is no ISO 3166-1 alpha-2 code is refused by name
(`invalid_country`) instead of silently invoiced without its tax; case aside (`au` is AU), nothing
is trimmed; a real country with no tax rate is invoiced without tax; everyone else is invoiced."""

from __future__ import annotations

import pytest

from arcadia_pipelines.monthend.billing_errors_store import period_errors
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, rows

from .rollup import APRIL, rollup

BAD = {"spaced": " AU", "xx": "XX", "zz": "ZZ", "empty": "", "three": "AUS", "digits": "12"}
GOOD = {"au": "AU", "lower": "au", "nz": "NZ", "france": "FR"}  # FR: a real country with no rate


def world(engine) -> World:
    w = World(engine)
    w.plan("studio", 5000, meters=[("droplet_hours", "droplet", 1488, 1)])
    w.addon("storage_50gb", 750, resource_kind="volume")
    w.tax_rate("AU", "0.10", name="GST").tax_rate("NZ", "0.15", name="GST")
    for tenant, country in {**BAD, **GOOD}.items():
        w.example_tenant(tenant, country=country)
    return w


def test_a_country_that_is_no_iso_code_is_refused_by_name_and_everyone_else_is_invoiced(engine):
    world(engine)
    result = rollup(engine)
    with engine.connect() as c:
        errors = period_errors(c, APRIL)
    assert {(e.tenant_id, e.rule) for e in errors} == {(tenant, "invalid_country") for tenant in BAD}
    by_tenant = {e.tenant_id: str(e) for e in errors}
    for tenant, country in BAD.items():
        assert f"tenant {tenant}: invalid_country: country is {country!r}, not an ISO 3166-1 alpha-2 code" \
            in by_tenant[tenant]
    assert sorted(result.created) == sorted(GOOD)
    invoices = {i["tenant_id"]: i for i in rows(engine, t.tenant_invoices)}
    assert sorted(invoices) == sorted(GOOD)
    # the worked example: 6422 before tax; GST 10% in AU (either case), 15% in NZ, none in France
    taxes = {tenant: (i["tax_name"], i["tax_cents"], i["total_cents"]) for tenant, i in invoices.items()}
    assert taxes == {"au": ("GST", 642, 7064), "lower": ("GST", 642, 7064), "nz": ("GST", 963, 7385),
                     "france": (None, 0, 6422)}


@pytest.mark.parametrize("country", [" AU", "XX", ""])
def test_a_draft_whose_country_turns_bad_is_held_and_freed_when_it_is_fixed(engine, country):
    World(engine).worked_example("pilot")
    rollup(engine)
    with engine.begin() as c:
        c.execute(t.tenants.update().where(t.tenants.c.id == "pilot").values(country=country))
    result = rollup(engine, force=True)
    assert result.held["pilot"].startswith(f"invalid_country: country is {country!r}")
    [inv] = rows(engine, t.tenant_invoices)
    assert (inv["total_cents"], inv["tax_name"]) == (7064, "GST")
    with engine.begin() as c:
        c.execute(t.tenants.update().where(t.tenants.c.id == "pilot").values(country="AU"))
    assert rollup(engine).recomputed == ["pilot"]
    [inv] = rows(engine, t.tenant_invoices)
    assert (inv["total_cents"], inv["held_reason"]) == (7064, None)
