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

The output floor (`measure_output_floor`, run on the warehouse the rollup has just written) is the
month's real limit: the month's exact output rows in the six tables it writes (usage evidence,
usage, quotes, invoices, lines, events), bulk-loaded into empty copies of those tables with the
same keys, indexes and foreign keys, in one transaction, committed. Only the load is timed; add the
usage aggregation above for the floor a rollup is compared with.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.reads import billed_subscriptions, micros
from arcadia_pipelines.warehouse.schema import metadata, metered_resources, tenant_invoice_lines
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


OUTPUT_TABLES = [t for t in metadata.sorted_tables if t.name in (  # parents before children
    "usage_evidence", "deployment_usage", "deployment_quotes", "tenant_invoices", "tenant_invoice_lines",
    "invoice_events")]
COPY_SCHEMA = "bench_floor"   # PostgreSQL: the copies, in a schema of their own
COPY_PREFIX = "bench_floor_"  # SQLite: the copies, beside the tables


@dataclass(frozen=True)
class Floor:
    aggregate_seconds: float
    write_seconds: float
    output_load_seconds: float | None = None

    @property
    def seconds(self) -> float:
        return self.aggregate_seconds + self.write_seconds

    @property
    def output_seconds(self) -> float | None:
        """The month's real limit: its usage aggregation plus loading its exact output rows."""
        return None if self.output_load_seconds is None else self.aggregate_seconds + self.output_load_seconds


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
        output = measure_output_floor(engine)
    finally:
        engine.dispose()
    return Floor(aggregate, write, output)


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


def measure_output_floor(engine: sa.Engine) -> float:
    """Seconds to bulk-load the month's output rows (the six tables' rows, as the rollup left
    them) into empty copies of the six tables with the same keys, indexes and foreign keys."""
    with output_copies(engine) as copy:
        return load_output(engine, copy)


@contextmanager
def output_copies(engine: sa.Engine) -> Iterator[Callable[[str], str]]:
    """Empty copies of the six output tables, dropped on the way out; yields a table's name ->
    its copy's name."""
    postgresql = engine.dialect.name == "postgresql"
    (_create_copies_postgresql if postgresql else _create_copies_sqlite)(engine)
    try:
        yield (lambda name: f"{COPY_SCHEMA}.{name}") if postgresql else (lambda name: f"{COPY_PREFIX}{name}")
    finally:
        with engine.begin() as c:
            if postgresql:
                c.exec_driver_sql(f"DROP SCHEMA {COPY_SCHEMA} CASCADE")
            else:
                for t in reversed(OUTPUT_TABLES):
                    c.exec_driver_sql(f"DROP TABLE IF EXISTS {COPY_PREFIX}{t.name}")


def load_output(engine: sa.Engine, copy: Callable[[str], str]) -> float:
    """Seconds to load every row of the six tables into their copies, in one transaction: COPY on
    PostgreSQL (the rows written out to files first, untimed), executemany on SQLite (the rows
    read first, untimed)."""
    names = [t.name for t in OUTPUT_TABLES]
    if engine.dialect.name != "postgresql":
        with engine.connect() as c:
            rows = {name: [tuple(r) for r in c.exec_driver_sql(f"SELECT * FROM {name}")] for name in names}
        start = time.perf_counter()
        with engine.begin() as c:
            cursor = c.connection.cursor()
            for name in names:
                if rows[name]:
                    cursor.executemany(f"INSERT INTO {copy(name)} VALUES ({', '.join('?' * len(rows[name][0]))})",
                                       rows[name])
            cursor.close()
        return time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        with engine.begin() as c, c.connection.cursor() as cur:
            for name in names:
                with open(f"{folder}/{name}", "wb") as out, cur.copy(f"COPY public.{name} TO STDOUT") as source:
                    for chunk in source:
                        out.write(chunk)
        start = time.perf_counter()
        with engine.begin() as c, c.connection.cursor() as cur:
            for name in names:
                with open(f"{folder}/{name}", "rb") as source, cur.copy(f"COPY {copy(name)} FROM STDIN") as target:
                    while chunk := source.read(1 << 20):
                        target.write(chunk)
        return time.perf_counter() - start


def _create_copies_postgresql(engine: sa.Engine) -> None:
    """`LIKE … INCLUDING ALL` (keys, indexes, defaults, checks) plus the originals' foreign keys,
    added with the copies first on the search path (so they point at the copies among the six)."""
    names = [t.name for t in OUTPUT_TABLES]
    with engine.begin() as c:
        c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {COPY_SCHEMA} CASCADE")
        c.exec_driver_sql(f"CREATE SCHEMA {COPY_SCHEMA}")
        for name in names:
            c.exec_driver_sql(f"CREATE TABLE {COPY_SCHEMA}.{name} (LIKE public.{name} INCLUDING ALL)")
        fks = c.exec_driver_sql(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%(names)s)", {"names": names}).all()
        c.exec_driver_sql(f"SET LOCAL search_path = {COPY_SCHEMA}, public")
        for table, definition in fks:
            c.exec_driver_sql(f"ALTER TABLE {COPY_SCHEMA}.{table} ADD {definition}")


def _create_copies_sqlite(engine: sa.Engine) -> None:
    """The originals' own CREATE statements with the six names (and the index names) prefixed, so
    foreign keys among them point at the copies."""
    names = [t.name for t in OUTPUT_TABLES]
    rename = re.compile(r"\b(" + "|".join(names) + r")\b")
    with engine.begin() as c:
        ddl = c.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN (%s) AND sql IS NOT NULL "
            "ORDER BY type = 'index'" % ", ".join(f"'{n}'" for n in names)).all()
        tables = {name: sql for kind, name, sql in ddl if kind == "table"}
        for name in names:
            c.exec_driver_sql(rename.sub(lambda m: COPY_PREFIX + m.group(1), tables[name]))
        for kind, name, sql in ddl:
            if kind == "index":
                c.exec_driver_sql(rename.sub(lambda m: COPY_PREFIX + m.group(1),
                                             sql.replace(f" {name} ", f" {COPY_PREFIX}{name} ", 1)))
