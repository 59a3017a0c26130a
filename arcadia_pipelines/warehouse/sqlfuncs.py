"""Portable SQL pieces: exact epoch microseconds, GREATEST/LEAST, partition locks."""

from __future__ import annotations

import zlib
from datetime import date

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


def lock_partition(conn: sa.Connection, name: str, period_start: date | None = None) -> None:
    """Serialize writers of one (asset, partition) until the transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite: the transaction already holds the
    database's write lock (BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        key = period_start.year * 100 + period_start.month if period_start else 0
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:a, :b)"),
                     {"a": zlib.crc32(name.encode()) & 0x7FFFFFFF, "b": key})
