"""Engines for the warehouse URL: SQLite set up for safe concurrent writers and non-blocking readers,
and lock waits that can be bounded on both backends."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url


class DagsterHomeUnavailable(ValueError):
    """DAGSTER_HOME cannot be used as a folder, in one line saying what to do."""


def dagster_home() -> Path:
    """DAGSTER_HOME, or ~/.arcadia_pipelines when unset (created on first use)."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.home() / ".arcadia_pipelines")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        why = "it is a file" if home.is_file() else e.strerror or e
        raise DagsterHomeUnavailable(f"DAGSTER_HOME {home} is not a folder that can be created or written "
                                     f"({why}); point DAGSTER_HOME at a folder you can write") from None
    return home


def warehouse_url() -> str:
    """ARCADIA_WAREHOUSE_URL, or an embedded SQLite file under DAGSTER_HOME."""
    return os.environ.get("ARCADIA_WAREHOUSE_URL") or f"sqlite:///{dagster_home() / 'warehouse.db'}"


def redacted(url: str) -> str:
    """The URL as it may appear in logs and metadata: no password."""
    return make_url(url).render_as_string(hide_password=True)


SUPPORTED_BACKENDS = ("postgresql", "sqlite")


class UnsupportedDatabase(ValueError):
    """A warehouse URL naming a database other than PostgreSQL or SQLite."""


def supported_url(url: str | URL) -> URL:
    """`url` parsed, refused in one line unless it names PostgreSQL or SQLite."""
    url = make_url(url)
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        raise UnsupportedDatabase(
            f"the warehouse URL names {url.get_backend_name()!r}, which is not supported: set ARCADIA_WAREHOUSE_URL "
            "to a postgresql:// (PostgreSQL) or sqlite:/// (SQLite) URL")
    return url


SQLITE_LOCK_WAIT_S = 60  # how long SQLite waits for the write lock unless told otherwise
_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_PG_LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout expired (or NOWAIT)


def create_warehouse_engine(url: str | URL | None = None, *, read_only: bool = False,
                            lock_timeout: float | None = None, **pool) -> sa.Engine:
    """An engine on the warehouse (default: `warehouse_url()`).

    `read_only`: its transactions only read. On SQLite they begin DEFERRED, and under WAL a
    reader never waits for a writer; every other engine begins IMMEDIATE (see below). On
    PostgreSQL they are READ ONLY transactions. Writes through it fail.
    `lock_timeout`: seconds a statement waits for a lock before failing with an OperationalError
    that `is_lock_timeout` recognises. Default: 60 s on SQLite; unbounded on PostgreSQL, where
    month-end stages queue behind each other's advisory locks.
    `pool`: QueuePool settings passed on (pool_size, max_overflow, pool_timeout).
    """
    url = supported_url(url or warehouse_url())
    if url.get_backend_name() == "sqlite":
        # check_same_thread off: a stage's write-behind thread inserts on the stage's connection
        # (never at the same time as the stage itself uses it)
        wait = SQLITE_LOCK_WAIT_S if lock_timeout is None else lock_timeout
        engine = sa.create_engine(url, connect_args={"timeout": wait, "check_same_thread": False}, **pool)
        _sqlite_transactions(engine, read_only)
        return engine
    # preserve_rowcount: under psycopg (3) an INSERT .. SELECT reports -1 rows without it, and the stages count them
    options = {"preserve_rowcount": True} | ({"postgresql_readonly": True} if read_only else {})
    engine = sa.create_engine(url, pool_pre_ping=True, execution_options=options, **pool)
    if lock_timeout is not None:
        _postgresql_lock_timeout(engine, lock_timeout)
    return engine


def is_lock_timeout(exc: sa.exc.DBAPIError) -> bool:
    """Whether `exc` is a statement that gave up waiting for a lock (SQLite busy or locked,
    PostgreSQL lock_not_available), rather than a real failure."""
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        return (getattr(orig, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_BUSY  # extended codes: primary in low byte
    return (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) == _PG_LOCK_NOT_AVAILABLE


def _sqlite_transactions(engine: sa.Engine, read_only: bool) -> None:
    """WAL, foreign keys, and explicit BEGINs. A writing transaction begins IMMEDIATE: it takes
    the write lock up front, so two runs of one partition queue instead of failing to upgrade a
    read lock mid-way. A read-only one begins DEFERRED and reads the last committed state while
    a writer holds the lock (`query_only` makes any write through it fail)."""
    begin = "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        if read_only:
            cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql(begin)


def _postgresql_lock_timeout(engine: sa.Engine, seconds: float) -> None:
    """Every transaction waits at most `seconds` for a lock (row, table or advisory): set once per
    connection, for its whole session, rather than at each BEGIN (a round trip per transaction)."""
    statement = f"SET lock_timeout = '{int(seconds * 1000)}ms'"

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        autocommit, dbapi_conn.autocommit = dbapi_conn.autocommit, True  # a SET outside any transaction
        with dbapi_conn.cursor() as cur:
            cur.execute(statement)
        dbapi_conn.autocommit = autocommit
