"""Portable SQL pieces: exact epoch microseconds, GREATEST/LEAST, partition locks, bulk inserts."""

from __future__ import annotations

import re
import sqlite3
import zlib
from datetime import date
from itertools import islice
from operator import itemgetter
from typing import Callable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class epoch_us(FunctionElement):
    """Microseconds since 1970-01-01 UTC of a timestamp column, as an exact integer; NULL when the
    stored value is no timestamp Python can hold (text SQLite cannot read; on PostgreSQL its
    infinities and years outside 1-9999, which the driver refuses to read)."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(epoch_us, "postgresql")
def _epoch_us_pg(element, compiler, **kw):
    # NULL for the infinities and for years Python's datetime cannot hold (a day's margin for the
    # session's time zone): unreadable, like bad text on SQLite. The range excludes both infinities.
    col = compiler.process(element.clauses, **kw)
    return (f"(CASE WHEN {col} > '0001-01-02' AND {col} < '9999-12-30' "
            f"THEN CAST(EXTRACT(EPOCH FROM {col}) * 1000000 AS BIGINT) END)")


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element, compiler, **kw):
    # SQLite's date functions round a fraction to milliseconds (…59.9996 becomes the next
    # second), so whole seconds come from the text without its fraction (offset or 'Z' kept) and
    # the microseconds from the fraction's digits. What SQLAlchemy writes ('YYYY-MM-DD
    # HH:MM:SS.ffffff', 26 characters, UTC) takes a short cut. unixepoch() is SQLite 3.38+.
    col = compiler.process(element.clauses, **kw)
    new_enough = getattr(compiler.dialect.dbapi, "sqlite_version_info", (0,)) >= (3, 38)

    def seconds(text: str) -> str:
        return f"unixepoch({text})" if new_enough else f"CAST(strftime('%s', {text}) AS INTEGER)"

    rest = f"substr({col}, 21)"  # the fraction's digits and whatever follows them
    after = f"ltrim({rest}, '0123456789')"  # an offset, 'Z' or nothing
    digits = f"substr({rest}, 1, length({rest}) - length({after}))"
    fraction = f"substr({col}, 20, 1) = '.'"
    written_by_us = f"length({col}) = 26 AND {fraction}"
    return (f"(CASE WHEN {written_by_us} "
            f"THEN {seconds(f'substr({col}, 1, 19)')} * 1000000 + CAST(substr({col}, 21, 6) AS INTEGER) "
            f"WHEN {fraction} THEN {seconds(f'substr({col}, 1, 19) || {after}')} * 1000000 "
            f"+ CAST(substr({digits} || '000000', 1, 6) AS INTEGER) "
            f"ELSE {seconds(col)} * 1000000 END)")


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


def allow_large_sorts(conn: sa.Connection) -> None:
    """Let this transaction's sorts and hash aggregates stay in memory (PostgreSQL's default
    4 MB work_mem spills a month-end of 10k tenants to disk); SQLite has no such limit."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")


def refresh_statistics(conn: sa.Connection, *columns: sa.Column) -> None:
    """ANALYZE the columns a later stage filters and joins on, of tables a stage just wrote,
    inside its transaction, so that the next stage (which starts before autovacuum notices)
    plans on this month's rows, not on none. Row counts are refreshed with them; limiting the
    columns keeps it a few milliseconds (a sample of at most 30,000 rows per table)."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer
    by_table: dict[sa.Table, list[str]] = {}
    for column in columns:
        by_table.setdefault(column.table, []).append(quote.quote(column.name))
    conn.exec_driver_sql("ANALYZE " + ", ".join(f"{quote.format_table(t)} ({', '.join(names)})"
                                                for t, names in by_table.items()))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_text(value) -> str:
    """A value as COPY's text format reads it (the text a parameter of that value would be sent as)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value
    return str(value)


def _by_value(column: sa.Column) -> bool:
    """Whether equal values of the column bind alike (not so for Decimal('1.0') and Decimal('1'))."""
    try:
        return issubclass(column.type.python_type, (str, int, date))
    except NotImplementedError:
        return False


def _driver_rows(table: sa.Table, names: Sequence[str], rows: list[tuple], dialect: sa.Dialect,
                 render: Callable | None) -> Iterator[tuple]:
    """The rows (values in `names` order) as tuples of what the driver takes: each value
    through its column type's bind processing, then `render`.

    Column by column, each distinct value is converted once and the rest is done by map and zip:
    a month-end writes the same few moments, prices and kinds over and over, and per-value
    Python calls were most of the cost of a bulk write."""
    columns = list(zip(*rows))
    for i, name in enumerate(names):
        column = table.c[name]
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is None and render is None:
            continue
        convert = (lambda v: render(process(v))) if process and render else process or render
        # distinct by value, or by type and text where equal values bind apart (0.1 must still fail)
        keys = columns[i] if _by_value(column) else list(zip(map(type, columns[i]), map(str, columns[i])))
        done = {k: convert(v) for k, v in dict(zip(keys, columns[i])).items()}
        columns[i] = map(done.__getitem__, keys)
    return zip(*columns)


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict] | Sequence[tuple],
                columns: Sequence[str] | None = None) -> None:
    """Insert many rows in few round trips, inside the caller's transaction: dicts with the same
    keys, or tuples of values for `columns`.

    COPY on psycopg (3), multi-row INSERTs on SQLite, each value through its column type's bind
    processing: several times faster than SQLAlchemy's per-row parameter handling, which
    dominated the month-end writes. The driver holds the GIL only briefly (one read of the COPY
    text; binding a statement's values), so another thread can compute meanwhile."""
    if not rows:
        return
    if columns is None:
        columns = list(rows[0])
        rows = list(map(itemgetter(*columns), rows)) if len(columns) > 1 else [(r[columns[0]],) for r in rows]
    dialect = conn.dialect
    if dialect.driver not in ("psycopg", "pysqlite"):
        conn.execute(sa.insert(table), [dict(zip(columns, r)) for r in rows])
        return
    into = f"{dialect.identifier_preparer.format_table(table)} " \
           f"({', '.join(dialect.identifier_preparer.quote(n) for n in columns)})"
    cursor = conn.connection.cursor()
    try:
        if dialect.driver == "psycopg":
            text = "".join("\t".join(values) + "\n" for values in _driver_rows(table, columns, rows, dialect, _copy_text))
            with cursor.copy(f"COPY {into} FROM STDIN") as copy:
                copy.write(text)
        else:
            _insert_sqlite(cursor, into, len(columns), _driver_rows(table, columns, rows, dialect, None))
    finally:
        cursor.close()


def _insert_sqlite(cursor, into: str, width: int, rows: Iterator[tuple], per: int = 256) -> None:
    """INSERT .. VALUES (..), (..), .. of `per` rows a statement (fewer if SQLite takes fewer
    variables), the remainder row by row: the driver's statement cache then holds two statements
    per table, not one per remainder size."""
    try:
        per = max(1, min(per, cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    except AttributeError:  # Python < 3.11
        per = max(1, min(per, 999 // width))
    one = "(" + ", ".join("?" * width) + ")"
    many = f"INSERT INTO {into} VALUES " + ", ".join([one] * per)
    while len(chunk := list(islice(rows, per))) == per:
        cursor.execute(many, [v for row in chunk for v in row])
    cursor.executemany(f"INSERT INTO {into} VALUES {one}", chunk)
