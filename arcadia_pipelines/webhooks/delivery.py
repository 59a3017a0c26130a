"""One delivery pass: every enabled endpoint gets its due events, in event order.

An endpoint's next event is the lowest id among the events queued for it in `webhook_deliveries`
(one being retried, or queued again by `redeliver`) and the first event of its types past its
cursor; it never gets event N+1 before N is delivered or parked. Each request has a total
deadline; any 2xx delivers. A failure is retried after an exponential backoff with jitter; after
`max_attempts` failures the event is parked as dead (and shown by the check and `webhooks list`)
and the endpoint moves on. Every outcome commits on its own, right after its request, so a killed
pass loses nothing and re-sends at most the event that was in flight (at-least-once; receivers
dedupe on the event id). The pass ends when no endpoint has an event due now: a retry that is not
due yet waits for a later pass (the sensor's), never for a sleep here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests
import sqlalchemy as sa
import urllib3

from arcadia_pipelines.digitalocean.deadline import DeadlineExceeded, deadline, deadline_session
from arcadia_pipelines.warehouse.schema import webhook_deliveries, webhook_endpoints, webhook_failures

from .events import Event, events_after, events_by_id, latest_event_id
from .pass_lock import delivery_lock
from .payloads import body as event_body
from .secret_box import decrypt
from .signing import EVENT_ID_HEADER, SIGNATURE_HEADER, signature_header

FAILURES_KEPT = timedelta(days=30)
ANSWER_BYTES = 64 * 1024  # what is read of an answer: only its status counts


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and waits. The defaults outlast a receiver down for over an hour (the waits before
    the 10th attempt add up to 1.5-3 hours) before an event is parked."""

    max_attempts: int = 10
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    deadline_seconds: float = 10.0

    def delay(self, failures: int, rng: random.Random) -> timedelta:
        """Exponential in the failures so far, capped, with jitter: half to all of it."""
        full = min(self.cap_seconds, self.base_seconds * 2 ** (failures - 1))
        return timedelta(seconds=full * rng.uniform(0.5, 1.0))


@dataclass
class PassResult:
    delivered: int = 0
    failed: int = 0
    parked: list[tuple[int, int, str]] = field(default_factory=list)  # (endpoint, event, why)
    waiting: dict[int, datetime] = field(default_factory=dict)  # endpoint -> its next retry
    busy: bool = False  # another pass held the lock: this one did nothing
    stopped_early: bool = False  # the time budget ended the pass with events still due


Sender = Callable[[str, bytes, dict, float], "str | None"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _read_short_answer(response: requests.Response) -> None:
    """Read an answer of up to ANSWER_BYTES whole, so its connection serves the next request
    (keep-alive: no new TLS handshake per event); close it on a longer one. The status has come
    already: a body that breaks off or outlasts the deadline changes nothing."""
    read = 0
    try:
        for chunk in response.iter_content(8192):
            read += len(chunk)
            if read > ANSWER_BYTES:
                break
    except (requests.RequestException, urllib3.exceptions.HTTPError, DeadlineExceeded, OSError):
        pass
    finally:
        response.close()


def http_sender(session: requests.Session | None = None) -> Sender:
    """POSTs with a total deadline; returns None when delivered, else why not (never the URL, which
    may carry credentials, nor anything about the secret)."""
    session = session or deadline_session()  # no retries of its own: ours are in the pass

    def send(url: str, body: bytes, headers: dict, seconds: float) -> str | None:
        try:
            with deadline(seconds):
                response = session.post(url, data=body, headers=headers, timeout=seconds, allow_redirects=False,
                                        stream=True)
                _read_short_answer(response)
        except requests.exceptions.SSLError:
            return "TLS handshake failed (is the endpoint's certificate valid?)"
        except urllib3.exceptions.NewConnectionError:  # (a subclass of urllib3's TimeoutError)
            return "connection refused or closed before an answer"
        except (DeadlineExceeded, requests.Timeout, urllib3.exceptions.TimeoutError):
            return f"no answer within the {seconds:g}s deadline"
        # without urllib3 retries its own errors come through as they are
        except (requests.ConnectionError, urllib3.exceptions.HTTPError, OSError):
            return "connection refused or closed before an answer"
        except requests.RequestException as e:
            return f"request failed ({type(e).__name__})"
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"

    return send


def _max(column: sa.ColumnElement, value: int) -> sa.ColumnElement:
    return sa.case((sa.func.coalesce(column, 0) < value, value), else_=column)


def next_event(conn: sa.Connection, ep: sa.Row) -> tuple[Event, sa.Row | None] | None:
    """The endpoint's next event and its webhook_deliveries row (None for an event not tried yet).

    With none, the cursor moves up to the latest event (of other types: drafts' events, say), so the
    next look starts there instead of scanning them again. The latest id is read first: every event
    below it is visible by then (the feed's lock), so none of the endpoint's types is passed over.
    The move is conditional on the cursor read, so a concurrent `redeliver --from` wins."""
    d, e = webhook_deliveries, webhook_endpoints
    latest = latest_event_id(conn)
    while True:
        queued = conn.execute(sa.select(d).where(d.c.endpoint_id == ep.id, d.c.parked_at.is_(None))
                              .order_by(d.c.event_id).limit(1)).first()
        new = events_after(conn, frozenset(ep.event_types.split(",")), ep.cursor_event_id, 1, until=latest)
        if queued is None and not new and latest > ep.cursor_event_id:
            conn.execute(sa.update(e).where(e.c.id == ep.id, e.c.cursor_event_id == ep.cursor_event_id)
                         .values(cursor_event_id=latest))
        if queued is None or (new and new[0].id < queued.event_id):
            return (new[0], None) if new else None
        event = events_by_id(conn, [queued.event_id]).get(queued.event_id)
        if event is not None:
            return event, queued
        # its invoice is gone, and its events with it
        conn.execute(sa.delete(d).where(d.c.endpoint_id == ep.id, d.c.event_id == queued.event_id))


def due_now(conn: sa.Connection, now: datetime) -> list[tuple[int, int, int]]:
    """(endpoint, event, failed attempts) of each enabled endpoint with an event due now."""
    e, due = webhook_endpoints, []
    for ep in conn.execute(sa.select(e).where(e.c.disabled_at.is_(None)).order_by(e.c.id)):
        head = next_event(conn, ep)
        if head is not None and (head[1] is None or head[1].next_attempt_at <= now):
            due.append((ep.id, head[0].id, head[1].attempts if head[1] is not None else 0))
    return due


class _Endpoint:
    """One endpoint's deliveries within a pass."""

    def __init__(self, engine: sa.Engine, endpoint_id: int, policy: RetryPolicy, rng: random.Random,
                 send: Sender, result: PassResult):
        self.engine, self.id, self.policy, self.rng, self.send, self.result = (engine, endpoint_id, policy, rng,
                                                                               send, result)

    def step(self, now: datetime) -> bool:
        """Send the endpoint's next event if one is due now; False when there is none."""
        e = webhook_endpoints
        with self.engine.begin() as conn:
            ep = conn.execute(sa.select(e).where(e.c.id == self.id)).first()
            if ep is None or ep.disabled_at is not None:
                return False
            head = next_event(conn, ep)
            if head is None:
                return False
            event, queued = head
            if queued is not None and queued.next_attempt_at > now:
                self.result.waiting[self.id] = queued.next_attempt_at
                return False
            body = event_body(conn, event)
        secret = decrypt(ep.secret_encrypted, self.id)
        stamp = int(now.timestamp())
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature_header(secret, stamp, body),
                   EVENT_ID_HEADER: str(event.id), "User-Agent": "arcadia-pipelines-webhooks"}
        error = self.send(ep.url, body, headers, self.policy.deadline_seconds)
        if error is None:
            self._delivered(event, now)
        else:
            self._failed(event, queued, now, error)
        return True

    def _delivered(self, event: Event, now: datetime) -> None:
        d, e = webhook_deliveries, webhook_endpoints
        with self.engine.begin() as conn:
            conn.execute(sa.delete(d).where(d.c.endpoint_id == self.id, d.c.event_id == event.id))
            conn.execute(sa.update(e).where(e.c.id == self.id).values(
                cursor_event_id=_max(e.c.cursor_event_id, event.id),
                last_delivered_event_id=_max(e.c.last_delivered_event_id, event.id), last_delivered_at=now))
        self.result.delivered += 1

    def _failed(self, event: Event, queued: sa.Row | None, now: datetime, error: str) -> None:
        d, e = webhook_deliveries, webhook_endpoints
        attempts = (queued.attempts if queued is not None else 0) + 1
        parked = attempts >= self.policy.max_attempts
        values = {"attempts": attempts, "last_attempt_at": now, "last_error": error,
                  "next_attempt_at": now if parked else now + self.policy.delay(attempts, self.rng),
                  "parked_at": now if parked else None}
        with self.engine.begin() as conn:
            conn.execute(sa.insert(webhook_failures).values(endpoint_id=self.id, event_id=event.id, failed_at=now,
                                                            error=error))
            if queued is None:
                conn.execute(sa.insert(d).values(endpoint_id=self.id, event_id=event.id, **values))
            else:
                conn.execute(sa.update(d).where(d.c.endpoint_id == self.id, d.c.event_id == event.id).values(values))
            if parked:
                conn.execute(sa.update(e).where(e.c.id == self.id).values(
                    cursor_event_id=_max(e.c.cursor_event_id, event.id)))
        self.result.failed += 1
        if parked:
            self.result.parked.append((self.id, event.id, error))


def deliver_pass(engine: sa.Engine, *, clock: Callable[[], datetime] = utc_now, policy: RetryPolicy = RetryPolicy(),
                 send: Sender | None = None, rng: random.Random | None = None,
                 budget: timedelta | None = None) -> PassResult:
    """Deliver what is due now to every enabled endpoint, round-robin, until nothing is due (or
    `budget` of `clock` time has passed). Does nothing (`busy`) while another pass runs."""
    result, send, rng = PassResult(), send or http_sender(), rng or random.Random()
    with delivery_lock(engine) as taken:
        if not taken:
            result.busy = True
            return result
        started = clock()
        e = webhook_endpoints
        with engine.begin() as conn:
            ids = conn.scalars(sa.select(e.c.id).where(e.c.disabled_at.is_(None)).order_by(e.c.id)).all()
            conn.execute(sa.delete(webhook_failures).where(webhook_failures.c.failed_at < started - FAILURES_KEPT))
        active = [_Endpoint(engine, i, policy, rng, send, result) for i in ids]
        while active:
            if budget is not None and clock() - started >= budget:
                result.stopped_early = True
                break
            active = [ep for ep in active if ep.step(clock())]
    return result
