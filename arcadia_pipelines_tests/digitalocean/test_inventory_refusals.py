"""DigitalOcean answers that would end every resource are refused: nothing is applied, the run fails
naming why, and the next good observation carries on. Real Dagster runs and real pydo against the
loopback API, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
import sqlalchemy as sa

from arcadia_pipelines.digitalocean import DigitalOceanListingError
from arcadia_pipelines.monthend.inventory import InventoryRefused, observe_inventory
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

from .runs import failure_message, materialization, run_inventory

CREATED = at(2026, 3, 20)


@pytest.fixture
def ten_droplets(engine, do_server, instance):
    """Ten droplets of dep-acme, observed once by a successful run."""
    World(engine).tenant("acme").deployment("dep-acme", "acme", do_tag="arcadia-acme")
    for n in range(1, 11):
        do_server.add_droplet(id=n, tags=["arcadia-acme"], created_at=CREATED)
    assert run_inventory(instance).success
    return rows(engine, t.metered_resources, order_by="resource_id")


def failure_metadata(result) -> dict:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return {k: v.value for k, v in failure.step_failure_data.user_failure_data.metadata.items()}


def test_an_empty_listing_closes_nothing_and_fails_naming_why(engine, do_server, instance, ten_droplets):
    for n in range(1, 11):
        do_server.remove_droplet(n)

    result = run_inventory(instance)

    assert not result.success
    assert failure_message(result) == (
        "droplet listing would close 10 of 10 open droplets (100%), above the 50% allowed; nothing applied "
        "(if they really were deleted, re-run with allow_mass_disappearance)")
    assert failure_metadata(result)["disappearing_count"] == 10
    assert rows(engine, t.metered_resources, order_by="resource_id") == ten_droplets
    assert len(rows(engine, t.do_inventory_observations)) == 1  # no observation: freshness keeps counting


def test_the_override_applies_a_real_mass_deletion(engine, do_server, instance, ten_droplets):
    for n in range(1, 11):
        do_server.remove_droplet(n)

    result = run_inventory(instance, allow_mass_disappearance=True)

    assert result.success
    assert materialization(result, "do_inventory")["closed"] == 10
    assert all(r["ended_at"] == r["last_seen_at"] for r in rows(engine, t.metered_resources))


def test_the_threshold_is_configurable_and_small_deletions_pass(engine, do_server, instance, ten_droplets):
    for n in range(1, 7):
        do_server.remove_droplet(n)
    refused = run_inventory(instance)
    assert "would close 6 of 10 open droplets (60%), above the 50% allowed" in failure_message(refused)

    applied = run_inventory(instance, max_disappearing_share=0.75)
    assert applied.success and materialization(applied, "do_inventory")["closed"] == 6

    do_server.remove_droplet(7)
    do_server.remove_droplet(8)  # 2 of the 4 left: 50% is not more than the share
    assert run_inventory(instance).success


def test_a_small_account_may_delete_everything(engine, do_server, instance):
    for n in (1, 2):
        do_server.add_droplet(id=n, created_at=CREATED)
    assert run_inventory(instance).success
    do_server.remove_droplet(1)
    do_server.remove_droplet(2)  # below the minimum count of 3

    result = run_inventory(instance)
    assert result.success and materialization(result, "do_inventory")["closed"] == 2


def _open_on(engine) -> dict:
    """Each open interval's deployment, by droplet id."""
    return {r["resource_id"]: r["deployment_id"] for r in rows(engine, t.metered_resources) if r["ended_at"] is None}


@pytest.mark.parametrize("tags", [[], ["web", "prod"], ["arcadia-acme", "arcadia-beta"]],
                         ids=["no_tags", "unknown_tags", "ambiguous_tags"])
def test_a_listing_that_takes_droplets_off_their_deployment_is_refused(engine, do_server, instance, ten_droplets,
                                                                       tags):
    World(engine).tenant("beta").deployment("dep-beta", "beta", do_tag="arcadia-beta")
    for n in range(1, 9):
        do_server.retag_droplet(n, tags)

    result = run_inventory(instance)

    assert not result.success
    assert failure_message(result) == (
        "droplet listing would move 8 of the 10 droplets on a deployment to no deployment (80%), above the 50% "
        "allowed; nothing applied (if they really were untagged, re-run with allow_mass_disappearance)")
    assert failure_metadata(result)["losing_deployment_count"] == 8
    assert rows(engine, t.metered_resources, order_by="resource_id") == ten_droplets  # acme still billed
    assert len(rows(engine, t.do_inventory_observations)) == 1

    for n in range(1, 9):
        do_server.retag_droplet(n, ["arcadia-acme"])
    after = run_inventory(instance)
    assert after.success and (materialization(after, "do_inventory")["closed"],
                              materialization(after, "do_inventory")["opened"]) == (0, 0)


def test_the_override_applies_a_real_mass_untagging(engine, do_server, instance, ten_droplets):
    for n in range(1, 11):
        do_server.retag_droplet(n, [])

    result = run_inventory(instance, allow_mass_disappearance=True)

    assert result.success
    assert materialization(result, "do_inventory")["retagged"] == 10
    assert set(_open_on(engine).values()) == {None}


def test_a_few_droplets_losing_their_tag_pass(engine, do_server, instance, ten_droplets):
    for n in range(1, 6):  # 5 of 10: 50% is not more than the share
        do_server.retag_droplet(n, [])

    result = run_inventory(instance)

    assert result.success and materialization(result, "do_inventory")["untagged"] == 5


def test_a_mass_move_to_another_deployment_is_applied(engine, do_server, instance, ten_droplets):
    """Every hour of a droplet moved between deployments is still billed, to the tenant it is tagged for."""
    World(engine).tenant("beta").deployment("dep-beta", "beta", do_tag="arcadia-beta")
    for n in range(1, 11):
        do_server.retag_droplet(n, ["arcadia-beta"])

    result = run_inventory(instance)

    assert result.success and materialization(result, "do_inventory")["retagged"] == 10
    assert set(_open_on(engine).values()) == {"dep-beta"}


def test_an_incomplete_listing_is_refused_before_anything_is_written(engine, do_server, instance, ten_droplets):
    do_server.script_bodies("/v2/droplets", [lambda body: body.update(droplets=[])])

    result = run_inventory(instance)

    assert failure_message(result) == ("could not list the DigitalOcean inventory: droplet listing incomplete: "
                                       "meta.total 10, got 0 on 1 page(s); nothing applied")
    assert rows(engine, t.metered_resources, order_by="resource_id") == ten_droplets
    assert len(rows(engine, t.do_inventory_observations)) == 1


def test_a_first_page_without_links_is_refused(engine, do_server, instance):
    for n in range(1, 251):
        do_server.add_droplet(id=n, created_at=CREATED)
    assert run_inventory(instance).success
    do_server.script_bodies("/v2/droplets", [lambda body: body.pop("links")])

    result = run_inventory(instance)

    assert failure_message(result) == ("could not list the DigitalOcean inventory: droplet listing incomplete: "
                                       "meta.total 250, got 200 on 1 page(s); nothing applied")
    assert [r["ended_at"] for r in rows(engine, t.metered_resources)] == [None] * 250


def test_a_malformed_droplet_fails_the_run_naming_it(engine, do_server, instance, ten_droplets, token):
    do_server.script_bodies("/v2/droplets", [lambda body: body["droplets"][3].pop("id")])

    result = run_inventory(instance)

    assert failure_message(result) == ("could not list the DigitalOcean inventory: malformed droplet at page 1, "
                                       "item 4: no id; nothing applied")
    assert rows(engine, t.metered_resources, order_by="resource_id") == ten_droplets


def _april_droplet_hours(engine) -> int:
    """What `droplet_hours` bills for April: each interval's overlap with the month in whole hours, an
    open one running to the month's end."""
    start, end = at(2026, 4, 1), at(2026, 5, 1)
    hours = 0
    for r in rows(engine, t.metered_resources):
        overlap = min(r["ended_at"] or end, end) - max(r["started_at"], start)
        hours += math.ceil(max(overlap, timedelta(0)).total_seconds() / 3600) * int(r["quantity"])
    return hours


def test_bad_hours_at_month_end_lose_no_droplet_hours(engine, do_server, client):
    """The issue's scenario: 10 droplets, a good observation, bad hours around month-end (an empty
    listing, an empty page claiming 10), then a good one: April bills 10 whole months."""
    World(engine).tenant("acme").deployment("dep-acme", "acme", do_tag="arcadia-acme")
    for n in range(1, 11):
        do_server.add_droplet(id=n, tags=["arcadia-acme"], created_at=CREATED)
    good = at(2026, 4, 30, 18, 5)
    observe_inventory(engine, client.inventory().resources, good)

    snapshot = do_server.droplets()
    for d in snapshot:
        do_server.remove_droplet(d["id"])
    with pytest.raises(InventoryRefused):
        observe_inventory(engine, client.inventory().resources, good + timedelta(hours=1))
    for d in snapshot:
        do_server.add_droplet(id=d["id"], tags=d["tags"], created_at=CREATED)
    for _ in range(5):
        do_server.script_bodies("/v2/droplets", [lambda body: body.update(droplets=[])])
        with pytest.raises(DigitalOceanListingError):
            client.inventory()
    after = observe_inventory(engine, client.inventory().resources, at(2026, 5, 1, 1, 5))

    assert (after.closed, after.opened, after.reappeared) == (0, 0, 0)
    assert [(r["started_at"], r["ended_at"]) for r in rows(engine, t.metered_resources)] == [(CREATED, None)] * 10
    assert _april_droplet_hours(engine) == 10 * 30 * 24
    with engine.connect() as conn:
        observed = conn.execute(sa.select(t.do_inventory_observations.c.observed_at)).scalars().all()
    assert len(observed) == 2  # the good hours only
