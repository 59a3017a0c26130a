"""A month's tenants split into shards: consecutive tenant-id ranges that the invoicing stages
can write in parallel, each in a transaction of its own.

Every shard is a run of consecutive *pieces* (the month's tenants cut into PIECES ranges of
about equal size), and a stage writing a shard locks its pieces. Two runs of one month thus
serialize exactly where their shards overlap, whatever number of shards each chose; the whole
month is every piece."""

from __future__ import annotations

import os
from dataclasses import dataclass

import sqlalchemy as sa

from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.reads import TenantRange
from arcadia_pipelines.warehouse.schema import tenants

PIECES = 64
MAX_SHARDS = PIECES
# Below this many tenants a month is fastest in one shard: a shard's step costs a process start.
SHARD_MIN_TENANTS = 50_000


@dataclass(frozen=True)
class Shard:
    tenants: TenantRange
    pieces: range

    @property
    def has_siblings(self) -> bool:
        """Whether other shards of the month may be written at the same time (it is not the whole month)."""
        return len(self.pieces) < PIECES

    @property
    def label(self) -> str:
        return f"tenants {self.tenants.after or 'first'}..{self.tenants.upto or 'last'}"


WHOLE_MONTH = Shard(TenantRange(), range(PIECES))


def plan_shards(conn: sa.Connection, k: int) -> list[Shard]:
    """At most `k` shards of about equal numbers of tenants covering every tenant id (the first
    starts before the first id, the last ends after the last one); fewer when there are fewer
    tenants than shards."""
    k = max(1, min(k, MAX_SHARDS))
    if k == 1:
        return [WHOLE_MONTH]
    n = conn.scalar(sa.select(sa.func.count()).select_from(tenants))
    cuts = [PIECES * i // k for i in range(1, k)]  # the pieces where shards 2..k start
    before = {cut: n * cut // PIECES for cut in cuts}  # tenants before each cut
    numbered = sa.select(tenants.c.id, sa.func.row_number().over(order_by=tenants.c.id).label("rn")).subquery()
    last_id = dict(conn.execute(sa.select(numbered.c.rn, numbered.c.id)
                                .where(numbered.c.rn.in_(sorted({r for r in before.values() if r})))).all())
    shards, after, start = [], None, 0
    for cut in cuts:
        upto = last_id.get(before[cut])
        if upto is None or upto == after:
            continue  # no tenant of its own: its pieces go with the next shard
        shards.append(Shard(TenantRange(after, upto), range(start, cut)))
        after, start = upto, cut
    return [*shards, Shard(TenantRange(after, None), range(start, PIECES))]


def automatic_shards(conn: sa.Connection, parallel_steps: bool) -> int:
    """The number of shards when the run does not say: the machine's cores when its steps run in
    parallel processes on PostgreSQL and the month is large enough to gain from it, else 1."""
    if not parallel_steps or not dialect_of(conn).concurrent_writers:
        return 1
    n = conn.scalar(sa.select(sa.func.count()).select_from(tenants))
    return max(1, min(os.cpu_count() or 1, n // SHARD_MIN_TENANTS))
