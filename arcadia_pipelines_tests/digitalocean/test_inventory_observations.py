"""Inventory observations folded into metered_resources: the real pydo client against the fake API,
on SQLite and PostgreSQL."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from arcadia_pipelines.digitalocean import DigitalOceanClient
from arcadia_pipelines.monthend.inventory import observe_inventory
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

T0 = at(2026, 4, 1, 10, 5)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)
CREATED = at(2026, 3, 20)


def observe(engine, client, when):
    return observe_inventory(engine, client.inventory().resources, when)


def intervals(engine, **where):
    cols = ("resource_kind", "resource_id", "started_at", "ended_at", "last_seen_at", "deployment_id",
            "size_slug", "quantity")
    return [tuple(r[c] for c in cols)
            for r in rows(engine, t.metered_resources, order_by="resource_kind resource_id started_at", **where)]


@pytest.fixture
def world(engine):
    w = World(engine).tenant("acme").tenant("bolt")
    w.deployment("dep-acme", "acme", do_tag="arcadia-acme").deployment("dep-bolt", "bolt", do_tag="arcadia-bolt")
    return w


def test_three_pages_of_droplets_gpu_droplets_included_each_open_one_interval(engine, world, do_server, client):
    for n in range(450):
        do_server.add_droplet(id=1000 + n, tags=["arcadia-acme"], created_at=CREATED)
    do_server.add_droplet(id=9001, size_slug="gpu-h100x1-80gb", tags=["arcadia-bolt", "gpu"], created_at=CREATED)
    do_server.add_droplet(id=9002, size_slug="gpu-h100x8-640gb", tags=["arcadia-bolt"], created_at=CREATED)

    r = observe(engine, client, T0)

    pages = sorted(int(q.query["page"]) for q in do_server.requests
                   if q.path == "/v2/droplets" and "type" not in q.query)
    assert pages == [1, 2, 3]
    assert (r.seen, r.new, r.opened, r.closed, r.untagged) == (452, 452, 452, 0, 0)
    assert intervals(engine, resource_id="1449") == [
        ("droplet", "1449", CREATED, None, T0, "dep-acme", "s-1vcpu-1gb", Decimal(1))]
    assert intervals(engine, deployment_id="dep-bolt") == [
        ("droplet", "9001", CREATED, None, T0, "dep-bolt", "gpu-h100x1-80gb", Decimal(1)),
        ("droplet", "9002", CREATED, None, T0, "dep-bolt", "gpu-h100x8-640gb", Decimal(1))]
    assert [o["droplets"] for o in rows(engine, t.do_inventory_observations)] == [452]


def test_volumes_count_their_size_and_untagged_resources_belong_to_nobody(engine, world, do_server, client):
    do_server.add_volume(id="vol-a", size_gigabytes=100, tags=["arcadia-acme"], created_at=CREATED)
    do_server.add_volume(id="vol-b", size_gigabytes=250, created_at=CREATED)
    do_server.add_droplet(id=7, tags=["someone-elses-tag"], created_at=CREATED)

    r = observe(engine, client, T0)

    assert r.untagged == 2
    assert intervals(engine) == [
        ("droplet", "7", CREATED, None, T0, None, "s-1vcpu-1gb", Decimal(1)),
        ("volume", "vol-a", CREATED, None, T0, "dep-acme", None, Decimal(100)),
        ("volume", "vol-b", CREATED, None, T0, None, None, Decimal(250))]


def test_still_present_only_advances_last_seen_and_a_repeat_changes_nothing(engine, world, do_server, client):
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    do_server.add_volume(id="vol-a", size_gigabytes=100, tags=["arcadia-acme"], created_at=CREATED)
    observe(engine, client, T0)
    r = observe(engine, client, T1)
    assert (r.seen, r.opened, r.closed) == (2, 0, 0)
    after = intervals(engine)
    assert [(i[2], i[3], i[4]) for i in after] == [(CREATED, None, T1)] * 2

    again = observe(engine, client, T1)
    assert (again.opened, again.closed, again.resized, again.retagged) == (0, 0, [], [])
    assert intervals(engine) == after
    assert len(rows(engine, t.do_inventory_observations)) == 2


def test_a_vanished_droplet_ends_when_it_was_last_seen(engine, world, do_server, client):
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    do_server.add_droplet(id=2, tags=["arcadia-acme"], created_at=CREATED)
    observe(engine, client, T0)
    do_server.remove_droplet(2)
    r = observe(engine, client, T1)
    assert (r.vanished, r.closed, r.opened) == (1, 1, 0)
    assert intervals(engine, resource_id="2") == [
        ("droplet", "2", CREATED, T0, T0, "dep-acme", "s-1vcpu-1gb", Decimal(1))]
    assert observe(engine, client, T1).closed == 0


def test_a_resize_closes_the_interval_at_the_observation_and_opens_the_next(engine, world, do_server, client):
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    do_server.add_volume(id="vol-a", size_gigabytes=100, tags=["arcadia-acme"], created_at=CREATED)
    observe(engine, client, T0)
    do_server.resize_droplet(1, "s-4vcpu-8gb")
    do_server.resize_volume("vol-a", 200)

    r = observe(engine, client, T1)

    assert (sorted(r.resized), r.retagged, r.opened, r.closed, r.new) == (
        ["droplet 1", "volume vol-a"], [], 2, 2, 0)
    assert intervals(engine) == [
        ("droplet", "1", CREATED, T1, T1, "dep-acme", "s-1vcpu-1gb", Decimal(1)),
        ("droplet", "1", T1, None, T1, "dep-acme", "s-4vcpu-8gb", Decimal(1)),
        ("volume", "vol-a", CREATED, T1, T1, "dep-acme", None, Decimal(100)),
        ("volume", "vol-a", T1, None, T1, "dep-acme", None, Decimal(200))]
    before = intervals(engine)
    observe(engine, client, T1)
    assert intervals(engine) == before


def test_retagging_or_untagging_moves_the_resource_at_the_observation(engine, world, do_server, client):
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    do_server.add_volume(id="vol-a", tags=["arcadia-acme"], created_at=CREATED)
    observe(engine, client, T0)
    do_server.retag_droplet(1, ["arcadia-bolt"])
    do_server.retag_volume("vol-a", [])

    r = observe(engine, client, T1)

    assert (sorted(r.retagged), r.resized, r.untagged) == (["droplet 1", "volume vol-a"], [], 1)
    assert [(i[1], i[2], i[3], i[5]) for i in intervals(engine)] == [
        ("1", CREATED, T1, "dep-acme"), ("1", T1, None, "dep-bolt"),
        ("vol-a", CREATED, T1, "dep-acme"), ("vol-a", T1, None, None)]


def test_tags_of_two_deployments_attribute_the_resource_to_neither(engine, world, do_server, client):
    do_server.add_droplet(id=1, tags=["arcadia-bolt", "arcadia-acme"], created_at=CREATED)
    r = observe(engine, client, T0)
    assert r.ambiguous == ["droplet 1 (dep-acme, dep-bolt)"]
    assert [i[5] for i in intervals(engine)] == [None]


def test_a_resource_listed_again_after_vanishing_continues_its_interval(engine, world, do_server, client):
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    observe(engine, client, T0)
    do_server.remove_droplet(1)
    observe(engine, client, T1)
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    r = observe(engine, client, T2)
    assert (r.reappeared, r.opened, r.new) == (1, 0, 0)
    assert [(i[2], i[3], i[4]) for i in intervals(engine)] == [(CREATED, None, T2)]


def test_an_observation_older_than_the_latest_is_ignored(engine, world, do_server, client):
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    observe(engine, client, T1)
    do_server.remove_droplet(1)
    r = observe(engine, client, T0)
    assert r.newer_observation == T1
    assert [(i[3], i[4]) for i in intervals(engine)] == [(None, T1)]


def test_repeating_an_observation_time_with_a_new_listing_replaces_what_that_time_opened(
        engine, world, do_server, client):
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    observe(engine, client, T0)
    do_server.resize_droplet(1, "s-2vcpu-4gb")
    observe(engine, client, T1)
    do_server.resize_droplet(1, "s-4vcpu-8gb")
    observe(engine, client, T1)
    assert [(i[2], i[3], i[6]) for i in intervals(engine)] == [
        (CREATED, T1, "s-1vcpu-1gb"), (T1, None, "s-4vcpu-8gb")]


def test_rate_limits_and_server_errors_are_retried(engine, world, do_server, client):
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    do_server.add_volume(id="vol-a", tags=["arcadia-acme"], created_at=CREATED)
    do_server.script_failures("/v2/droplets", [429])
    do_server.script_failures("/v2/volumes", [500])
    assert observe(engine, client, T0).seen == 2
    assert sorted(r.status for r in do_server.requests) == [200, 200, 200, 429, 500]


def test_two_observations_at_once_leave_one_open_interval_per_resource(warehouse_url, world, do_server, token):
    from arcadia_pipelines.warehouse.engine import create_warehouse_engine

    for n in range(50):
        do_server.add_droplet(id=n + 1, tags=["arcadia-acme"], created_at=CREATED)
    barrier, errors = threading.Barrier(2), []

    def worker(when):
        own = create_warehouse_engine(warehouse_url)
        try:
            client = DigitalOceanClient(token, do_server.url, timeout=5, retry_backoff_factor=0.01)
            listed = client.inventory().resources
            barrier.wait()
            observe_inventory(own, listed, when)
        except Exception as e:  # surfaced below
            errors.append(e)
        finally:
            own.dispose()

    threads = [threading.Thread(target=worker, args=(when,)) for when in (T0, T1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert [(i[2], i[3], i[4]) for i in intervals(world.engine)] == [(CREATED, None, T1)] * 50
