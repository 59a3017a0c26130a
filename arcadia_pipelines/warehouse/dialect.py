"""Every SQLite-versus-PostgreSQL question the code asks, answered in one place.

`dialect_of(conn)` (a connection, an engine or SQLAlchemy's dialect) gives the warehouse's
adapter for that backend, one per backend, so a stage asks what it needs
(`insert_ignoring_conflicts`, `lock_partition`, `decimals_as_text`, ...) instead of branching on
the backend's name. SQL expressions that differ by backend (epoch_us, greatest, ...) are compiled
per backend in sqlfuncs.py.
"""

from __future__ import annotations

import sqlite3
import zlib
from datetime import date
from itertools import islice
from typing import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


class UnsupportedDatabase(ValueError):
    """The warehouse runs on PostgreSQL or SQLite only."""


class Dialect:
    """What differs between the warehouse's backends. Stateless: methods take the connection."""

    name: str
    # Exact decimals (ExactDecimal) are stored as fixed-point text, and the database's arithmetic
    # on them goes through float except on whole numbers (SQLite; PostgreSQL keeps NUMERIC).
    decimals_as_text: bool
    # Dates and timestamps are stored as ISO text (SQLite; PostgreSQL has date and timestamptz).
    dates_as_text: bool
    # Several transactions can write at once (PostgreSQL); SQLite has one write lock.
    concurrent_writers: bool
    has_comments: bool  # COMMENT ON tables and columns
    has_regexp_replace: bool
    # ALTER TABLE beyond ADD COLUMN copies the table (SQLite: Alembic's batch mode)
    alters_tables_by_copy: bool
    bulk_driver: str  # the driver whose cursor `write_rows` uses; other drivers insert through SQLAlchemy
    bulk_rows_as_text: bool  # bulk rows are COPY text lines, not tuples of values
    _insert: Callable[[sa.Table], sa.Insert]  # the backend's INSERT, which knows ON CONFLICT

    def insert_ignoring_conflicts(self, table: sa.Table, index_elements: list[str] | None = None):
        """INSERT .. ON CONFLICT (index_elements, or any unique key) DO NOTHING."""
        return self._insert(table).on_conflict_do_nothing(index_elements=index_elements)

    def lock_partition(self, conn: sa.Connection, name: str, period_start: date | None = None) -> None:
        """Serialize writers of one (asset, partition) until the transaction ends."""

    def lock_pieces(self, conn: sa.Connection, name: str, period_start: date, pieces: range) -> None:
        """Serialize writers of the same pieces of one partition until the transaction ends."""

    def allow_large_sorts(self, conn: sa.Connection) -> None:
        """Let this transaction's sorts and hash aggregates stay in memory."""

    def without_jit(self, conn: sa.Connection) -> None:
        """Run this transaction's statements as planned, without compiling them first (JIT)."""

    def refresh_statistics(self, conn: sa.Connection, *columns: sa.Column, unless_busy: bool = False) -> None:
        """Fresh planner statistics for the columns a later stage filters and joins on; `unless_busy`:
        not for a table another transaction is refreshing (a shard written beside this one)."""

    def whole_number(self, column: sa.ColumnElement) -> sa.ColumnElement:
        """A decimal column known to hold whole numbers, as the database sums it exactly."""
        return column

    def not_a_number(self, column: sa.ColumnElement) -> sa.ColumnElement[bool]:
        """Whether a stored decimal is no number at all (only text can be)."""
        return sa.false()

    def ordered_for_insert(self, select: sa.Select, *keys: sa.ColumnElement) -> sa.Select:
        """An INSERT .. SELECT's rows in the order of the target's index (`keys`) where that
        makes the index inserts append instead of descending at random."""
        return select

    def draw_id(self, conn: sa.Connection, table: sa.Table) -> int:
        """The next id of `table`'s id sequence, consumed without inserting a row into it."""
        raise NotImplementedError

    def same(self, a: str, b: str) -> str:
        """SQL text: `a` equals `b`, NULL equal to NULL."""
        return f"{a} IS NOT DISTINCT FROM {b}"

    def writes_in_bulk(self, dialect: sa.Dialect) -> bool:
        """Whether `write_rows` serves this driver."""
        return dialect.driver == self.bulk_driver

    def write_rows(self, cursor, into: str, width: int, rows: Iterator[tuple]) -> None:
        """Insert driver-ready rows of `width` values into `into` ("table (columns)") in few round trips."""
        raise NotImplementedError


class PostgreSQL(Dialect):
    """Several writers at once, exact NUMERIC, timestamptz."""

    name, _insert = "postgresql", staticmethod(pg_insert)
    concurrent_writers = has_comments = has_regexp_replace = True
    decimals_as_text = dates_as_text = alters_tables_by_copy = False
    bulk_driver, bulk_rows_as_text = "psycopg", True

    def lock_partition(self, conn, name, period_start=None):
        """A transaction-level advisory lock."""
        key = period_start.year * 100 + period_start.month if period_start else 0
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:a, :b)"),
                     {"a": zlib.crc32(name.encode()) & 0x7FFFFFFF, "b": key})

    def lock_pieces(self, conn, name, period_start, pieces):
        """The pieces' advisory locks, taken in ascending order (so writers of overlapping pieces
        cannot deadlock)."""
        conn.execute(sa.text("SELECT count(pg_advisory_xact_lock(CAST(:a AS integer), p)) "
                             "FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS p"),
                     {"a": zlib.crc32(f"{name}/{period_start:%Y-%m}".encode()) & 0x7FFFFFFF,
                      "lo": pieces.start, "hi": pieces.stop - 1})

    def allow_large_sorts(self, conn):
        """The default 4 MB work_mem spills a month-end of 10k tenants to disk."""
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")

    def without_jit(self, conn):
        """JIT compiles a statement whose estimated cost passes jit_above_cost, in the leader and
        in each parallel worker, before it runs: for the evidence check at 100k tenants 2.2 s of
        inlining and optimizing before a 4.7 s statement. A month-end's statements each run once,
        over rows that are mostly written, not computed on: the compiling does not pay back."""
        conn.exec_driver_sql("SET LOCAL jit = off")

    def refresh_statistics(self, conn, *columns, unless_busy=False):
        """ANALYZE the columns of tables a stage just wrote, inside its transaction, so that the
        next stage (which starts before autovacuum notices) plans on this month's rows, not on
        none. Row counts are refreshed with them; limiting the columns keeps it a few
        milliseconds (a sample of at most 30,000 rows per table). ANALYZE holds its table's lock
        to the end of the transaction, so a shard analyzing a table its sibling shard has just
        analyzed would wait for that whole shard to commit (5.8 s at 100k tenants in two shards):
        `unless_busy` skips the table instead (SKIP_LOCKED); monthend/statistics.py settles them after."""
        quote = conn.dialect.identifier_preparer
        by_table: dict[sa.Table, list[str]] = {}
        for column in columns:
            by_table.setdefault(column.table, []).append(quote.quote(column.name))
        tables = ", ".join(f"{quote.format_table(t)} ({', '.join(names)})" for t, names in by_table.items())
        conn.exec_driver_sql("ANALYZE " + ("(SKIP_LOCKED) " if unless_busy else "") + tables)

    def ordered_for_insert(self, select, *keys):
        return select.order_by(*keys)

    def draw_id(self, conn, table):
        return conn.scalar(sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id'))"), {"t": table.name})

    def write_rows(self, cursor, into, width, rows):
        """COPY .. FROM STDIN of rows that are COPY text lines."""
        with cursor.copy(f"COPY {into} FROM STDIN") as copy:
            copy.write("\n".join(map("\t".join, rows)) + "\n")


class SQLite(Dialect):
    """One writer at a time, and any text in any column."""

    name, _insert = "sqlite", staticmethod(sqlite_insert)
    decimals_as_text = dates_as_text = alters_tables_by_copy = True
    concurrent_writers = has_comments = has_regexp_replace = False
    bulk_driver, bulk_rows_as_text = "pysqlite", False

    # lock_partition, lock_pieces: the transaction already holds the database's write lock
    # (BEGIN IMMEDIATE, see engine.py). allow_large_sorts, without_jit: SQLite has no work_mem
    # limit and no JIT.
    # refresh_statistics: its planner does without.

    def whole_number(self, column):
        """As an integer: its sum of decimal text would be a float."""
        return sa.cast(column, sa.BigInteger)

    def not_a_number(self, column):
        """Text that is not [-]digits[.digits] (what ExactDecimal writes; SQLite keeps any text in
        any column); a whole number (nearly every value) leaves at the first test."""
        q = sa.cast(column, sa.Text)
        unsigned = sa.case((sa.func.substr(q, 1, 1) == "-", sa.func.substr(q, 2)), else_=q)
        return sa.or_(q == "", sa.and_(q.op("GLOB")(sa.literal("*[^0-9]*", sa.Text)), sa.or_(
            unsigned.op("GLOB")(sa.literal("*[^0-9.]*", sa.Text)), unsigned.op("GLOB")(sa.literal("*.*.*", sa.Text)),
            sa.func.ltrim(unsigned, ".") == "")))

    def draw_id(self, conn, table):
        """AUTOINCREMENT's counter in sqlite_sequence, moved past the table's highest id."""
        conn.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) SELECT :t, 0 "
                             "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :t)"), {"t": table.name})
        return conn.scalar(sa.text(
            f"UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(id), 0) FROM {table.name})) + 1 "
            "WHERE name = :t RETURNING seq"), {"t": table.name})

    def same(self, a, b):
        return f"{a} IS {b}"

    def write_rows(self, cursor, into, width, rows, per: int = 256):
        """INSERT .. VALUES (..), (..), .. of `per` rows a statement (fewer if SQLite takes fewer
        variables), the remainder row by row: the driver's statement cache then holds two
        statements per table, not one per remainder size."""
        try:
            per = max(1, min(per, cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
        except AttributeError:  # Python < 3.11
            per = max(1, min(per, 999 // width))
        one = "(" + ", ".join("?" * width) + ")"
        many = f"INSERT INTO {into} VALUES " + ", ".join([one] * per)
        while len(chunk := list(islice(rows, per))) == per:
            cursor.execute(many, [v for row in chunk for v in row])
        cursor.executemany(f"INSERT INTO {into} VALUES {one}", chunk)


_BY_NAME: dict[str, Dialect] = {d.name: d for d in (PostgreSQL(), SQLite())}


def dialect_of(bind: sa.Connection | sa.Engine | sa.Dialect) -> Dialect:
    """The adapter for the backend of a connection, an engine or a SQLAlchemy dialect."""
    name = (bind.dialect if isinstance(bind, _BINDS) else bind).name
    adapter = _BY_NAME.get(name)
    if adapter is None:
        raise UnsupportedDatabase(f"the warehouse runs on PostgreSQL or SQLite, not {name}")
    return adapter


_BINDS = (sa.Connection, sa.Engine)
