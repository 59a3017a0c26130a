"""The floor: what the database itself needs for a month-end of this size.

1. The month's usage aggregation as one set-based statement (every billed subscription's
   metered quantity per resource kind inside its window), fetched whole.
2. A bulk write of as many rows as the rollup wrote into a scratch copy of
   `tenant_invoice_lines` (same columns and keys, no foreign key), by the driver's fastest path
   (COPY on PostgreSQL, executemany of ready tuples on SQLite), committed.

For reference it also times the same write through SQLAlchemy Core (one executemany insert).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.reads import billed_subscriptions
from arcadia_pipelines.warehouse.schema import metered_resources, tenant_invoice_lines
from arcadia_pipelines.warehouse.sqlfuncs import epoch_us, greatest, least

from .generate import PERIOD

HOUR_US = 3_600_000_000
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
    core_write_seconds: float  # the same rows through SQLAlchemy Core executemany

    @property
    def seconds(self) -> float:
        return self.aggregate_seconds + self.write_seconds


def aggregation() -> sa.Select:
    subs = billed_subscriptions(PERIOD).subquery()
    m = metered_resources
    lo = greatest(epoch_us(m.c.started_at), subs.c.ws)
    hi = least(sa.func.coalesce(epoch_us(m.c.ended_at), subs.c.we), subs.c.we)
    hours = (greatest(hi - lo, 0) + (HOUR_US - 1)) // HOUR_US
    return (sa.select(subs.c.id, m.c.resource_kind, sa.func.sum(hours * sa.cast(m.c.quantity, sa.Numeric)))
            .join(m, m.c.deployment_id == subs.c.deployment_id)
            .group_by(subs.c.id, m.c.resource_kind))


def _rows(n: int) -> list[tuple]:
    return [(i // 6 + 1, i % 6 + 1, "overage", f"d{i // 3:07d}", f"s{i // 3:07d}", "droplet", "droplet_hours",
             f"Overage: droplet_hours ({i % 900 + 1500} used, 1488 included)", i % 900 + 12, "1.5", i % 1350 + 18)
            for i in range(n)]


def measure_floor(url: str, rows: int) -> Floor:
    engine = create_warehouse_engine(url)
    try:
        with engine.connect() as c:
            start = time.perf_counter()
            c.execute(aggregation()).all()
            aggregate = time.perf_counter() - start
        data = _rows(rows)
        write = _timed_write(engine, _write_fast, data)
        core = _timed_write(engine, _write_core, [dict(zip(COLUMNS, r)) for r in data])
    finally:
        engine.dispose()
    return Floor(aggregate, write, core)


def _timed_write(engine: sa.Engine, write, data: list) -> float:
    scratch.create(engine)
    try:
        start = time.perf_counter()
        with engine.begin() as c:
            write(c, data)
        return time.perf_counter() - start
    finally:
        scratch.drop(engine)


def _write_fast(conn: sa.Connection, data: list[tuple]) -> None:
    cursor = conn.connection.cursor()
    if conn.dialect.name == "postgresql":
        with cursor.copy(f"COPY {scratch.name} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write("".join("\t".join(map(str, row)) + "\n" for row in data))
    else:
        cursor.executemany(f"INSERT INTO {scratch.name} ({', '.join(COLUMNS)}) "
                           f"VALUES ({', '.join('?' * len(COLUMNS))})", data)
    cursor.close()


def _write_core(conn: sa.Connection, data: list[dict]) -> None:
    conn.execute(sa.insert(scratch), data)
