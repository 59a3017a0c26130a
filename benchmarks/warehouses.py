"""Throw-away benchmark warehouses: a SQLite file or a PostgreSQL database, dropped afterwards,
and fresh copies of one (a generated warehouse is copied for each rollup run: much faster than
generating it again at a million tenants, and every run of a size sees the very same data)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

BACKENDS = ("sqlite", "postgresql")
PG_ADMIN_URL = os.environ.get("ARCADIA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_admin() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@contextmanager
def warehouse(backend: str, workdir: Path, label: str, copy_of: str | None = None) -> Iterator[str]:
    """Yield the URL of an empty database for one benchmark case, or of a copy of the warehouse
    at `copy_of` (no connection to it may be open); drop it on the way out."""
    if backend == "sqlite":
        path = workdir / f"{label}_{uuid.uuid4().hex[:8]}.db"
        if copy_of:
            _copy_sqlite(sa.make_url(copy_of).database, path)
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"arcadia_bench_{label}_{uuid.uuid4().hex[:8]}"
    template = f' TEMPLATE "{sa.make_url(copy_of).database}"' if copy_of else ""
    admin = pg_admin()
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"{template}')
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def _copy_sqlite(source: str, target: Path) -> None:
    """A consistent copy through SQLite's backup API (the source may have a WAL)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def analyze(engine: sa.Engine) -> None:
    """Fresh planner statistics, as a production warehouse has after autovacuum."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
