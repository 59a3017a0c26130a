"""Simulated time for the delivery pass, and running passes until nothing is due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from arcadia_pipelines.webhooks.delivery import PassResult, RetryPolicy, deliver_pass


class FakeClock:
    def __init__(self, start: datetime | None = None):
        self.now = start or datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def drain(engine, clock: FakeClock, policy: RetryPolicy, rng, until=None) -> list[PassResult]:
    """Passes, jumping the clock to the next retry each time, until nothing waits (or `until`)."""
    results = []
    while True:
        results.append(deliver_pass(engine, clock=clock, policy=policy, rng=rng))
        waiting = results[-1].waiting
        if not waiting:
            return results
        nxt = min(waiting.values())
        if until is not None and nxt > until:
            return results
        clock.now = max(clock.now, nxt)
