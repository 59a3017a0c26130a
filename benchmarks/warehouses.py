"""Throw-away benchmark warehouses: a SQLite file or a PostgreSQL database, dropped afterwards."""

from __future__ import annotations

import os
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
def warehouse(backend: str, workdir: Path, label: str) -> Iterator[str]:
    """Yield the URL of an empty database for one benchmark case; drop it on the way out."""
    if backend == "sqlite":
        path = workdir / f"{label}.db"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"arcadia_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = pg_admin()
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def analyze(engine: sa.Engine) -> None:
    """Fresh planner statistics, as a production warehouse has after autovacuum."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
