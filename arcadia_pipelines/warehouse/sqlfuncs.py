"""Portable SQL pieces: exact epoch microseconds, GREATEST/LEAST, partition locks, bulk inserts."""

from __future__ import annotations

import io
import re
import zlib
from datetime import date
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class epoch_us(FunctionElement):
    """Microseconds since 1970-01-01 UTC of a timestamp column, as an exact integer."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(epoch_us, "postgresql")
def _epoch_us_pg(element, compiler, **kw):
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000000 AS BIGINT)"


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element, compiler, **kw):
    # strftime('%s') drops the fraction; SQLAlchemy stores '.ffffff' at offset 20.
    col = compiler.process(element.clauses, **kw)
    return (f"(CAST(strftime('%s', {col}) AS INTEGER) * 1000000 + CASE WHEN substr({col}, 20, 1) = '.' "
            f"THEN CAST(substr(replace({col}, 'Z', '') || '000000', 21, 6) AS INTEGER) ELSE 0 END)")


class greatest(FunctionElement):
    inherit_cache = True


class least(FunctionElement):
    inherit_cache = True


@compiles(greatest)
def _greatest(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(least)
def _least(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


# The three invoicing stages of one month take turns under one lock, so no stage reads another
# run's half-written upstream (each stage is one transaction; runs of one month may overlap).
MONTH_END_LOCK = "monthly_invoicing"


def lock_partition(conn: sa.Connection, name: str, period_start: date | None = None) -> None:
    """Serialize writers of one (asset, partition) until the transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite: the transaction already holds the
    database's write lock (BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        key = period_start.year * 100 + period_start.month if period_start else 0
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:a, :b)"),
                     {"a": zlib.crc32(name.encode()) & 0x7FFFFFFF, "b": key})


def allow_large_sorts(conn: sa.Connection) -> None:
    """Let this transaction's sorts and hash aggregates stay in memory (PostgreSQL's default
    4 MB work_mem spills a month-end of 10k tenants to disk); SQLite has no such limit."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")


def refresh_statistics(conn: sa.Connection, *tables: sa.Table) -> None:
    """ANALYZE what a stage just wrote, inside its transaction, so that the next stage (which
    starts before autovacuum notices) plans its joins on this month's rows, not on none. A
    sample of at most 30,000 rows per table, so the cost does not grow with the month."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE " + ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_text(value) -> str:
    """A value as COPY's text format reads it (what psycopg2 would have sent as a parameter)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value
    return str(value)


def _column_values(column: sa.Column, dialect: sa.Dialect, render: Callable | None) -> Callable:
    """render(bind processing of the column's type(v)), remembered per distinct value: a month-end
    writes the same few moments, prices and quantities over and over, and exact-decimal binding
    validates each one through a Fraction."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return render or (lambda v: v)
    try:
        moments = issubclass(column.type.python_type, date)
    except NotImplementedError:
        moments = False
    done: dict = {}

    def value(v):
        key = v if moments else (v.__class__, str(v))  # str(v): Decimal('1.0') and Decimal('1') differ
        if key not in done:
            done[key] = process(v) if render is None else render(process(v))
        return done[key]
    return value


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert many rows (dicts with the same keys) in one round trip, inside the caller's transaction.

    COPY on psycopg2, the driver's executemany on SQLite, each value through its column type's
    bind processing: several times faster than SQLAlchemy's per-row parameter handling, which
    dominated the month-end writes."""
    if not rows:
        return
    dialect = conn.dialect
    if dialect.driver not in ("psycopg2", "pysqlite"):
        conn.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    into = f"{dialect.identifier_preparer.format_table(table)} " \
           f"({', '.join(dialect.identifier_preparer.quote(n) for n in names)})"
    copy = dialect.driver == "psycopg2"
    values = [(n, _column_values(table.c[n], dialect, _copy_text if copy else None)) for n in names]
    cursor = conn.connection.cursor()
    try:
        if copy:
            buf = io.StringIO()
            buf.writelines("\t".join([f(row[n]) for n, f in values]) + "\n" for row in rows)
            buf.seek(0)
            cursor.copy_expert(f"COPY {into} FROM STDIN", buf)
        else:
            cursor.executemany(f"INSERT INTO {into} VALUES ({', '.join('?' * len(names))})",
                               ([f(row[n]) for n, f in values] for row in rows))
    finally:
        cursor.close()
