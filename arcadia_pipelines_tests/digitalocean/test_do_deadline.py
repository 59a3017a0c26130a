"""Every DigitalOcean call (and every listing) ends by its total deadline, even against a server that
trickles its answer a byte at a time, which a per-read timeout never catches."""

from __future__ import annotations

import time
import traceback

import dagster as dg
import pytest

from arcadia_pipelines.definitions import defs
from arcadia_pipelines.digitalocean import DigitalOceanClient, DigitalOceanTimeoutError
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import rows

from .runs import failure_message

pytestmark = pytest.mark.slow  # waits out real call deadlines

SLACK = 5  # seconds past the deadline a failure may take to arrive on a loaded machine


def _everything_about(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


def test_a_trickling_body_fails_by_the_call_deadline_without_retrying(do_server, token):
    for _ in range(20):
        do_server.add_volume()
    do_server.script_trickle("/v2/volumes", every=0.5, times=5)  # ~8 kB: about an hour at this pace
    client = DigitalOceanClient(token, do_server.url, timeout=3, retries=3, retry_backoff_factor=0.01)

    started = time.monotonic()
    with pytest.raises(DigitalOceanTimeoutError) as caught:
        client.volumes()
    elapsed = time.monotonic() - started

    assert 3 <= elapsed < 3 + SLACK
    assert str(caught.value) == ("DigitalOcean did not answer GET /v2/volumes in time: "
                                 "no complete answer within the 3s deadline")
    assert token not in _everything_about(caught.value)
    assert caught.value.__cause__ is None
    assert len([r for r in do_server.requests if r.path == "/v2/volumes"]) == 1


def test_a_trickling_server_holds_no_later_call(do_server, token):
    do_server.add_droplet()
    do_server.script_trickle("/v2/droplets", every=0.5)
    client = DigitalOceanClient(token, do_server.url, timeout=2, retries=0)
    with pytest.raises(DigitalOceanTimeoutError):
        client.droplets()

    assert len(client.droplets()) == 1  # the next call gets a fresh connection and a fresh deadline


def test_a_listing_ends_by_its_own_deadline_however_quick_each_page(do_server, token):
    for _ in range(450):
        do_server.add_droplet()
    do_server.script_delays("/v2/droplets", [4, 4, 4])  # 3 pages, each well inside its own 10 s: 12 s in all
    client = DigitalOceanClient(token, do_server.url, timeout=10, listing_timeout=4.5, retries=0)

    started = time.monotonic()
    with pytest.raises(DigitalOceanTimeoutError, match="no complete answer within the 4.5s deadline"):
        client.droplets()
    assert time.monotonic() - started < 4.5 + SLACK


def test_retries_and_retry_after_stay_inside_the_deadline(do_server, token):
    do_server.add_droplet()
    do_server.script_failures("/v2/droplets", [429] * 10, retry_after=30)
    client = DigitalOceanClient(token, do_server.url, timeout=2, retries=5, retry_backoff_max=60)

    started = time.monotonic()
    with pytest.raises(DigitalOceanTimeoutError):
        client.droplets()
    assert time.monotonic() - started < 2 + SLACK


def test_a_run_against_a_trickling_server_fails_by_the_configured_deadline(engine, do_server, instance, token):
    do_server.add_droplet()
    do_server.script_trickle("/v2/droplets", every=0.5, times=10)
    # The token stays an environment variable: run config names it, never holds it.
    run_config = {"resources": {"digitalocean": {"config": {"token": {"env": "DIGITALOCEAN_TOKEN"},
                                                            "timeout_seconds": 2}}}}

    started = time.monotonic()
    result = defs.resolve_job_def("do_inventory_job").execute_in_process(
        instance=instance, run_config=run_config, raise_on_error=False)

    assert not result.success
    assert time.monotonic() - started < 2 + SLACK + 15  # the run's own start-up included; the trickle takes minutes
    assert failure_message(result) == (
        "could not list the DigitalOcean inventory: DigitalOcean did not answer GET /v2/droplets in time: "
        "no complete answer within the 2s deadline; nothing applied")
    assert rows(engine, t.do_inventory_observations) == []
    stored = dg.serialize_value(instance.get_run_by_id(result.run_id))
    stored += "".join(dg.serialize_value(entry) for entry in instance.all_logs(result.run_id))
    assert token not in stored
