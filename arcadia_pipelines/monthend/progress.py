"""How far a month-end stage has got: tenants done of total, rate and time left, reported after
each batch of tenants to whoever listens (the CLI's terminal, the run's Dagster log). A stage
without listeners pays nothing: it does not even count its tenants.

Listeners are per context (`reporting_to`), so a run in the CLI's process reports to both the
terminal and the run's log, and concurrent runs in one process do not mix."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TextIO

import sqlalchemy as sa

from arcadia_pipelines.warehouse.reads import TenantRange
from arcadia_pipelines.warehouse.schema import tenants


@dataclass(frozen=True)
class Progress:
    stage: str
    month: str
    done: int
    total: int
    elapsed_s: float

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def line(self) -> str:
        """E.g. `2026-04 quotes: 40,000/100,000 tenants (40%), 8,000/s, 8 s left`."""
        rate = self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0
        left = (f"{(self.total - self.done) / rate:,.0f} s left" if rate and not self.finished
                else f"done in {self.elapsed_s:,.1f} s" if self.finished else "time left unknown")
        percent = 100 * self.done // self.total if self.total else 100
        return (f"{self.month} {self.stage}: {self.done:,}/{self.total:,} tenants ({percent}%), "
                f"{rate:,.0f}/s, {left}")


Listener = Callable[[Progress], None]
_listeners: ContextVar[tuple[Listener, ...]] = ContextVar("month_end_progress", default=())


@contextmanager
def reporting_to(listener: Listener) -> Iterator[None]:
    """Month-end stages run inside this block report their progress to `listener` too."""
    token = _listeners.set((*_listeners.get(), listener))
    try:
        yield
    finally:
        _listeners.reset(token)


class StageProgress:
    """What a stage calls: `advance(n)` after a batch of n tenants, `finish()` when done."""

    def __init__(self, stage: str, month: str, total: int, listeners: tuple[Listener, ...]):
        self._stage, self._month, self._total, self._listeners = stage, month, total, listeners
        self._done, self._started = 0, time.monotonic()

    def advance(self, tenants: int) -> None:
        self._done = min(self._total, self._done + tenants)
        if self._done < self._total:
            self._report()

    def finish(self) -> None:
        self._done = self._total
        self._report()

    def _report(self) -> None:
        progress = Progress(self._stage, self._month, self._done, self._total, time.monotonic() - self._started)
        for listener in self._listeners:
            listener(progress)


def stage_progress(conn: sa.Connection, stage: str, month: str, within: TenantRange) -> StageProgress:
    """The progress of `stage` over the tenants in `within` (counted only when someone listens)."""
    listeners = _listeners.get()
    total = conn.scalar(sa.select(sa.func.count()).select_from(tenants).where(*within.where(tenants.c.id))) \
        if listeners else 0
    return StageProgress(stage, month, total, listeners)


def every_tenth(listener: Listener) -> Listener:
    """`listener` called about every 10% of a stage's tenants and when it ends, not every batch."""
    reported: dict[tuple[str, str], int] = {}

    def on_progress(p: Progress) -> None:
        tenth = 10 if p.finished else 10 * p.done // p.total if p.total else 0
        key = (p.month, p.stage)
        if tenth > reported.get(key, 0):
            reported[key] = tenth
            listener(p)
        if p.finished:
            reported.pop(key, None)

    return on_progress


PROGRESS_AFTER_ENV = "ARCADIA_PROGRESS_AFTER_S"
PROGRESS_AFTER_S = 5.0  # a stage shorter than this shows no progress: a small month stays one line


def terminal(stream: TextIO, after_s: float | None = None) -> Listener:
    """For the CLI: a progress bar redrawn in place when `stream` is a terminal, else a plain line
    about every 10% of tenants. Silent for stages that end within `after_s` seconds (default
    $ARCADIA_PROGRESS_AFTER_S, else PROGRESS_AFTER_S)."""
    if after_s is None:
        after_s = float(os.environ.get(PROGRESS_AFTER_ENV) or PROGRESS_AFTER_S)
    if not stream.isatty():
        lines = every_tenth(lambda p: print(p.line(), file=stream, flush=True))
        return lambda p: lines(p) if p.elapsed_s >= after_s else None

    def bar(p: Progress) -> None:
        if p.elapsed_s < after_s:
            return
        filled = 30 * p.done // p.total if p.total else 30
        stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {p.line()}\x1b[K" + ("\n" if p.finished else ""))
        stream.flush()

    return bar
