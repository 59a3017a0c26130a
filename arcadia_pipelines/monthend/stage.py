"""The plumbing every month-end stage shares: one transaction under its lock, and for the
heavy stages the cyclic GC paused, large sorts allowed and no JIT; what a per-tenant stage reports."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.warehouse.dialect import dialect_of

from .gcpause import cyclic_gc_paused
from .shards import Shard

# The three invoicing stages of one month take turns under one lock, so no stage reads another
# run's half-written upstream (each stage is one transaction; runs of one month may overlap).
# A stage writing one shard of the month takes it for the shard's pieces only.
MONTH_END_LOCK = "monthly_invoicing"


@dataclass
class StageResult:
    """What a stage writing per subscription reports: its rows, the subscriptions they are of, and
    the named errors of the tenants it left out."""

    rows: int = 0
    subscriptions: int = 0
    errors: list[BillingError] = field(default_factory=list)


@contextmanager
def month_end_stage(engine: sa.Engine, lock: str = MONTH_END_LOCK, period_start: date | None = None, *,
                    heavy: bool = False, shard: Shard | None = None) -> Iterator[sa.Connection]:
    """A connection in one transaction holding `lock` (per month when `period_start` is given;
    for `shard`, on the month's pieces of that shard). `heavy` stages work through hundreds of
    thousands of rows: GC paused, large sorts in memory, no JIT."""
    with ExitStack() as stack:
        if heavy:
            stack.enter_context(cyclic_gc_paused())
        conn = stack.enter_context(engine.begin())
        dialect = dialect_of(conn)
        if shard is not None:
            dialect.lock_pieces(conn, lock, period_start, shard.pieces)
        else:
            dialect.lock_partition(conn, lock, period_start)
        if heavy:
            dialect.allow_large_sorts(conn)
            dialect.without_jit(conn)
        yield conn
