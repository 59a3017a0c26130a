"""The floor: what the database itself needs for a month-end of this size.

1. The month's usage aggregation as one set-based statement (every billed subscription's
   metered quantity per resource kind inside its window), over the intervals that can matter to
   the month only (`relevant_until`, indexed by migration 0011: older history is not read),
   fetched whole in streamed batches.
2. A bulk write of as many rows as the rollup wrote into a scratch copy of
   `tenant_invoice_lines` (same columns and keys, no foreign key), by the driver's fastest path
   (one COPY on PostgreSQL, executemany of ready tuples on SQLite), in batches, committed.

Both stream, so the floor of a million tenants (about 19 million rows written) runs in bounded
memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import islice
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.reads import billed_subscriptions, micros
from arcadia_pipelines.warehouse.schema import metered_resources, tenant_invoice_lines
from arcadia_pipelines.warehouse.sqlfuncs import epoch_us, greatest, least, relevant_until

from .generate import PERIOD

HOUR_US = 3_600_000_000
BATCH = 50_000  # rows fetched or written at a time
COLUMNS = ("invoice_id", "line_no", "kind", "deployment_id", "subscription_id", "resource_kind", "meter",
           "description", "quantity", "unit_price_cents", "amount_cents")
scratch = sa.Table("bench_floor_lines", sa.MetaData(),
                   *(sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                     for c in tenant_invoice_lines.columns),
                   sa.Index("ix_bench_floor_lines_invoice_id", "invoice_id"))


@dataclass(frozen=True)
class Floor:
    aggregate_seconds: float
    write_seconds: float

    @property
    def seconds(self) -> float:
        return self.aggregate_seconds + self.write_seconds


def aggregation() -> sa.Select:
    subs = billed_subscriptions(PERIOD).subquery()
    m = metered_resources
    lo = greatest(epoch_us(m.c.started_at), subs.c.ws)
    hi = least(sa.func.coalesce(epoch_us(m.c.ended_at), subs.c.we), subs.c.we)
    hours = (greatest(hi - lo, 0) + (HOUR_US - 1)) // HOUR_US
    may_matter = relevant_until(m.c.started_at, m.c.ended_at) >= micros(PERIOD.start_at)
    return (sa.select(subs.c.id, m.c.resource_kind, sa.func.sum(hours * sa.cast(m.c.quantity, sa.Numeric)))
            .join(m, sa.and_(m.c.deployment_id == subs.c.deployment_id, may_matter))
            .group_by(subs.c.id, m.c.resource_kind))


def _rows(n: int) -> Iterator[tuple]:
    return ((i // 6 + 1, i % 6 + 1, "overage", f"d{i // 3:07d}", f"s{i // 3:07d}", "droplet", "droplet_hours",
             f"Overage: droplet_hours ({i % 900 + 1500} used, 1488 included)", i % 900 + 12, "1.5", i % 1350 + 18)
            for i in range(n))


def measure_floor(url: str, rows: int) -> Floor:
    engine = create_warehouse_engine(url)
    try:
        with engine.connect().execution_options(stream_results=True, yield_per=BATCH) as c:
            start = time.perf_counter()
            for _ in c.execute(aggregation()).partitions():
                pass
            aggregate = time.perf_counter() - start
        scratch.create(engine)
        try:
            start = time.perf_counter()
            with engine.begin() as c:
                _write_fast(c, _rows(rows))
            write = time.perf_counter() - start
        finally:
            scratch.drop(engine)
    finally:
        engine.dispose()
    return Floor(aggregate, write)


def _write_fast(conn: sa.Connection, rows: Iterator[tuple]) -> None:
    cursor = conn.connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {scratch.name} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                while batch := list(islice(rows, BATCH)):
                    copy.write("".join("\t".join(map(str, row)) + "\n" for row in batch))
        else:
            cursor.executemany(f"INSERT INTO {scratch.name} ({', '.join(COLUMNS)}) "
                               f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    finally:
        cursor.close()
