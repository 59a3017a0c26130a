"""One delivery pass at a time per warehouse, so two passes (a Dagster run and `webhooks deliver`)
never send the same event twice: a session advisory lock on PostgreSQL, an exclusive lock on a
file next to the database on SQLite. Both are released when the process ends, even by kill -9."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from arcadia_pipelines.warehouse.dialect import dialect_of

_PG_KEY = 0x61726377  # "arcw": the webhooks pass's advisory lock


@contextmanager
def delivery_lock(engine: sa.Engine, wait_seconds: float = 0.0) -> Iterator[bool]:
    """Yields whether the lock was taken within `wait_seconds`; held until the block ends."""
    ends = time.monotonic() + wait_seconds
    if dialect_of(engine).concurrent_writers:  # PostgreSQL: a session advisory lock
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            taken = conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_KEY})
            while not taken and time.monotonic() < ends:
                time.sleep(0.2)
                taken = conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_KEY})
            try:
                yield bool(taken)
            finally:
                if taken:
                    conn.scalar(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:":  # one process has the database
        yield True
        return
    with open(f"{database}.webhooks-lock", "a") as f:
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                taken = True
            except BlockingIOError:
                taken = False
            if taken or time.monotonic() >= ends:
                break
            time.sleep(0.2)
        try:
            yield taken
        finally:
            if taken:
                fcntl.flock(f, fcntl.LOCK_UN)
