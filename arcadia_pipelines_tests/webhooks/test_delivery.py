"""Delivery to a real loopback receiver on both backends: every event, in order, signed, retried
through faults and outages, parked after the attempt limit and redelivered."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import webhook_endpoints
from arcadia_pipelines.webhooks.delivery import RetryPolicy, deliver_pass
from arcadia_pipelines.webhooks.endpoints import add_endpoint, redeliver
from arcadia_pipelines.webhooks.events import latest_event_id
from arcadia_pipelines.webhooks.signing import signature_header
from arcadia_pipelines.webhooks.status import endpoint_status

from .clock import FakeClock, drain
from .receiver import Receiver, readme_verify
from .scenario import NOW, activity, issued_later, month_of_drafts, pushed_event_ids

verify = readme_verify()


def in_order_with_retries_only(ids: list[int]) -> bool:
    """Each id's requests are consecutive (a repeat is a retry of the same event) and ids increase."""
    firsts = [i for n, i in enumerate(ids) if n == 0 or ids[n - 1] != i]
    return firsts == sorted(set(firsts))


def assert_signed_and_whole(receiver: Receiver, secret: str) -> None:
    for r in receiver.requests:
        assert verify(secret, r.signature, r.body, now=r.received_at), r.event_id
        payload = json.loads(r.body)
        assert payload["id"] == int(r.event_id) and r.content_type == "application/json"
        assert set(payload) == {"id", "type", "created_at", "data"}


@pytest.mark.slow
def test_a_receiver_failing_30_percent_of_requests_gets_every_event_of_200_invoices_in_order(engine):
    receiver = Receiver(fault_rate=0.3, seed=23, timeout_sleep=0.5)
    clock = FakeClock()
    receiver.clock = clock
    try:
        endpoint_id, secret = add_endpoint(engine, receiver.url)
        invoice_ids = month_of_drafts(engine, 200)
        policy, rng = RetryPolicy(deadline_seconds=0.25), random.Random(5)
        for _ in activity(engine, invoice_ids):  # events keep coming while passes deliver
            drain(engine, clock, policy, rng, until=clock.now)
            clock.advance(seconds=20)
        drain(engine, clock, policy, rng)
    finally:
        receiver.close()
    expected = pushed_event_ids(engine)
    got = receiver.ids()
    assert set(got) == set(expected) and len(expected) > 400
    assert in_order_with_retries_only(got)
    assert set(receiver.faults) == {"500", "timeout", "close"} and len(got) > len(expected)
    assert_signed_and_whole(receiver, secret)
    types = {json.loads(r.body)["type"] for r in receiver.requests}
    assert types == {"invoice.issued", "invoice.paid", "invoice.voided", "credit_note.created", "month.invoiced"}
    invoice = next(json.loads(r.body)["data"] for r in receiver.requests if json.loads(r.body)["type"] == "invoice.paid")
    assert invoice["number"].startswith("INV-") and invoice["lines"] and "balance_cents" in invoice
    with engine.connect() as conn:
        [status] = endpoint_status(conn, clock.now)
    assert status["last_delivered_event_id"] == expected[-1] and status["lag_events"] == 0
    assert status["parked"] == 0 and status["failures_last_day"] == len(got) - len(set(got))


def test_a_receiver_down_for_an_hour_gets_the_waiting_events_in_order_then_parked_ones_on_redeliver(engine,
                                                                                                     receiver):
    clock = FakeClock()
    receiver.clock, receiver.down = clock, True
    endpoint_id, secret = add_endpoint(engine, receiver.url, "invoice.issued,invoice.paid,month.invoiced")
    invoice_ids = month_of_drafts(engine, 5)
    list(activity(engine, invoice_ids))
    policy, rng = RetryPolicy(), random.Random(1)
    outage_ends = clock.now + timedelta(hours=1)
    while clock.now < outage_ends:  # a pass a minute, as the sensor would
        drain(engine, clock, policy, rng, until=clock.now)
        clock.advance(minutes=1)
    with engine.connect() as conn:
        [status] = endpoint_status(conn, clock.now)
    assert status["parked"] == 0 and status["last_delivered_event_id"] is None
    assert status["failures_last_day"] == len(receiver.requests) >= 5 and status["lag_seconds"] >= 3600
    assert set(receiver.ids()) == {receiver.ids()[0]}  # nothing past the first event was tried
    tried_in_outage = len(receiver.requests)
    receiver.down = False
    drain(engine, clock, policy, rng)
    assert receiver.ids()[tried_in_outage:] == pushed_event_ids(engine, "issued", "paid", months=True)

    # down again for long: the attempt limit parks each event in turn, and says why
    receiver.down = True
    more = issued_later(engine, "late1", "late2")
    drain(engine, clock, policy, rng)
    with engine.connect() as conn:
        [status] = endpoint_status(conn, clock.now)
    assert [p["event_id"] for p in status["parked_events"]] == more
    assert {p["error"] for p in status["parked_events"]} == {"HTTP 503"}
    attempts = [i for i in receiver.ids() if i == more[0]]
    assert len(attempts) == policy.max_attempts
    receiver.down = False
    before = len(receiver.requests)
    assert redeliver(engine, endpoint_id) == len(more)
    drain(engine, clock, policy, rng)
    assert receiver.ids()[before:] == more
    with engine.connect() as conn:
        [status] = endpoint_status(conn, clock.now)
    assert status["parked"] == 0 and status["lag_events"] == 0
    assert_signed_and_whole(receiver, secret)


def test_replay_from_an_event_sends_every_later_event_again_in_order(engine, receiver):
    endpoint_id, secret = add_endpoint(engine, receiver.url)
    list(activity(engine, month_of_drafts(engine, 4)))
    clock = FakeClock()
    drain(engine, clock, RetryPolicy(), random.Random(0))
    first = receiver.ids()
    assert first == pushed_event_ids(engine)
    redeliver(engine, endpoint_id, from_event=first[3])
    drain(engine, clock, RetryPolicy(), random.Random(0))
    assert receiver.ids()[len(first):] == first[3:]


def test_a_tampered_body_or_an_old_timestamp_fails_the_readme_verification():
    secret, body, now = "whsec_test", b'{"id":7,"type":"invoice.paid"}', 1_800_000_000
    header = signature_header(secret, now, body)
    assert verify(secret, header, body, now=now + 299)
    assert not verify(secret, header, body.replace(b"7", b"8"), now=now)
    assert not verify(secret, header, body, now=now + 301)
    assert not verify(secret, signature_header(secret, now - 301, body), body, now=now)
    assert not verify("whsec_other", header, body, now=now)
    assert not verify(secret, "v1=" + header.split("v1=")[1], body, now=now)


def test_an_endpoint_moves_past_other_types_of_events_once_and_still_gets_its_own(engine, receiver):
    endpoint_id, _ = add_endpoint(engine, receiver.url, "invoice.paid")
    invoices = month_of_drafts(engine, 3)
    for invoice_id in invoices:
        with engine.begin() as conn:
            apply_move(conn, invoice_id, "issue", NOW)
    deliver_pass(engine)
    with engine.connect() as conn:
        cursor = conn.scalar(sa.select(webhook_endpoints.c.cursor_event_id))
        assert cursor == latest_event_id(conn) and receiver.requests == []
    with engine.begin() as conn:
        apply_move(conn, invoices[1], "pay", NOW)
    deliver_pass(engine)
    assert receiver.ids() == pushed_event_ids(engine, "paid") and len(receiver.ids()) == 1
