"""Portable SQL pieces: exact epoch microseconds and back, GREATEST/LEAST, bulk inserts."""

from __future__ import annotations

import re
from datetime import date
from operator import itemgetter
from typing import Callable, Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from .dialect import dialect_of
from .types import UtcDateTime


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


class timestamp_of_us(FunctionElement):
    """The timestamp of epoch microseconds (a bound of the month, so never negative), exactly:
    timestamptz on PostgreSQL, on SQLite the text SQLAlchemy writes. The inverse of `epoch_us`."""

    type = UtcDateTime()
    inherit_cache = True


@compiles(timestamp_of_us, "postgresql")
def _timestamp_of_us_pg(element, compiler, **kw):
    us = compiler.process(element.clauses, **kw)
    return f"(TIMESTAMPTZ '1970-01-01 00:00:00+00' + {us} * INTERVAL '1 microsecond')"


@compiles(timestamp_of_us, "sqlite")
def _timestamp_of_us_sqlite(element, compiler, **kw):
    us = compiler.process(element.clauses, **kw)
    return f"(strftime('%Y-%m-%d %H:%M:%S', {us} / 1000000, 'unixepoch') || printf('.%06d', {us} % 1000000))"


FOREVER_US = 2**63 - 1


class relevant_until(FunctionElement):
    """Epoch microseconds up to which a lifetime interval (started_at, ended_at) can matter: the
    later of its two timestamps; FOREVER_US while it is open or when either may be unreadable
    (what `epoch_us` cannot read). No window starting after that can overlap it or be judged by
    its start. Deterministic (IMMUTABLE on PostgreSQL: no EXTRACT from a timestamptz), so indexable."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(relevant_until, "postgresql")
def _relevant_until_pg(element, compiler, **kw):
    # readable with a day's margin on either side of epoch_us's bounds (they are in the session's
    # time zone); a timestamptz difference is exact (days and microseconds, no months)
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    last = f"GREATEST({start}, {end})"
    return (f"COALESCE(CASE WHEN {end} IS NOT NULL AND LEAST({start}, {end}) > TIMESTAMPTZ '0001-01-03 00:00:00+00' "
            f"AND {last} < TIMESTAMPTZ '9999-12-29 00:00:00+00' "
            f"THEN CAST(EXTRACT(EPOCH FROM {last} - TIMESTAMPTZ '1970-01-01 00:00:00+00') * 1000000 AS BIGINT) "
            f"END, {FOREVER_US})")


@compiles(relevant_until, "sqlite")
def _relevant_until_sqlite(element, compiler, **kw):
    # max() of several arguments is NULL when any is: open, or unreadable
    start, end = (compiler.process(epoch_us(c), **kw) for c in element.clauses)
    return f"coalesce(max({start}, {end}), {FOREVER_US})"


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


def _converter(column: sa.Column, dialect: sa.Dialect, render: Callable | None) -> Callable | None:
    """value -> what the driver takes: the column type's bind processing, then `render`; None when
    the value is taken as it is."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process and render:
        return lambda v: render(process(v))
    return process or render


def _render(dialect: sa.Dialect) -> Callable | None:
    return _copy_text if dialect_of(dialect).bulk_rows_as_text else None


def _driver_rows(table: sa.Table, names: Sequence[str], rows: list[tuple], dialect: sa.Dialect) -> Iterator[tuple]:
    """The rows (values in `names` order) as tuples of what the driver takes (see _converter).

    Column by column, each distinct value is converted once and the rest is done by map and zip:
    a month-end writes the same few moments, prices and kinds over and over, and per-value
    Python calls were most of the cost of a bulk write."""
    columns = list(zip(*rows))
    for i, name in enumerate(names):
        column = table.c[name]
        convert = _converter(column, dialect, _render(dialect))
        if convert is None:
            continue
        # distinct by value, or by type and text where equal values bind apart (0.1 must still fail)
        keys = columns[i] if _by_value(column) else list(zip(map(type, columns[i]), map(str, columns[i])))
        done = {k: convert(v) for k, v in dict(zip(keys, columns[i])).items()}
        columns[i] = map(done.__getitem__, keys)
    return zip(*columns)


def row_encoder(conn: sa.Connection, table: sa.Table, columns: Sequence[str]) -> Callable[[Sequence], tuple]:
    """values of `columns` -> a piece of a row for `bulk_insert_encoded`, each value converted as
    `bulk_insert` converts it. A caller whose rows repeat groups of values (a subscription's on
    each of its lines) encodes each group once and makes a row by adding pieces (tuples)."""
    dialect = conn.dialect
    if not dialect_of(dialect).writes_in_bulk(dialect):
        return tuple
    converters = [_converter(table.c[name], dialect, _render(dialect)) or _as_is for name in columns]
    if dialect_of(dialect).bulk_rows_as_text:  # a piece is one text: its values as a COPY line has them
        return lambda values: ("\t".join([convert(v) for convert, v in zip(converters, values)]),)
    return lambda values: tuple([convert(v) for convert, v in zip(converters, values)])


def _as_is(value):
    return value


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
    if dialect_of(conn).writes_in_bulk(conn.dialect):
        rows = _driver_rows(table, columns, rows, conn.dialect)
    _insert_encoded(conn, table, rows, columns)


def bulk_insert_encoded(conn: sa.Connection, table: sa.Table, rows: Sequence[tuple], columns: Sequence[str]) -> None:
    """`bulk_insert` of rows made of `row_encoder` pieces whose columns, in order, are `columns`."""
    if rows:
        _insert_encoded(conn, table, rows, columns)


def _insert_encoded(conn: sa.Connection, table: sa.Table, rows: Iterable[tuple], columns: Sequence[str]) -> None:
    dialect = conn.dialect
    if not dialect_of(dialect).writes_in_bulk(dialect):
        conn.execute(sa.insert(table), [dict(zip(columns, r)) for r in rows])
        return
    into = f"{dialect.identifier_preparer.format_table(table)} " \
           f"({', '.join(dialect.identifier_preparer.quote(n) for n in columns)})"
    cursor = conn.connection.cursor()
    try:
        dialect_of(dialect).write_rows(cursor, into, len(columns), iter(rows))
    finally:
        cursor.close()
