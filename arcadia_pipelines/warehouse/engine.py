"""Engines for the warehouse URL, with SQLite set up for safe concurrent writers."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url


def dagster_home() -> Path:
    """DAGSTER_HOME, or ~/.arcadia_pipelines when unset (created on first use)."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.home() / ".arcadia_pipelines")
    home.mkdir(parents=True, exist_ok=True)
    return home


def warehouse_url() -> str:
    """ARCADIA_WAREHOUSE_URL, or an embedded SQLite file under DAGSTER_HOME."""
    return os.environ.get("ARCADIA_WAREHOUSE_URL") or f"sqlite:///{dagster_home() / 'warehouse.db'}"


def redacted(url: str) -> str:
    """The URL as it may appear in logs and metadata: no password."""
    return make_url(url).render_as_string(hide_password=True)


def create_warehouse_engine(url: str | None = None) -> sa.Engine:
    url = url or warehouse_url()
    if make_url(url).get_backend_name() == "sqlite":
        # check_same_thread off: a stage's write-behind thread inserts on the stage's connection
        # (never at the same time as the stage itself uses it)
        engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
        _serialize_sqlite_writers(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _serialize_sqlite_writers(engine: sa.Engine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE: a transaction takes the write lock up front, so
    two runs of one partition queue instead of failing to upgrade a read lock mid-way."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
