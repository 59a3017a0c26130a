"""Bulk inserts on a second thread while the stage computes its next batch.

The database does most of a bulk insert's work (PostgreSQL parses and indexes COPY rows in its
own process; SQLite steps through its B-trees with the GIL released), so on a 2-core machine
that time can overlap with the quote engine's Python. The rule that keeps the one connection
safe: between `write` and the next `wait` (or the end of the block) the caller does not touch
the connection, only Python objects.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Sequence

import sqlalchemy as sa

from arcadia_pipelines.warehouse.sqlfuncs import bulk_insert


class WriteBehind:
    def __init__(self, conn: sa.Connection, insert: Callable = bulk_insert):
        """`insert(conn, table, rows, columns)` writes a batch: bulk_insert, or bulk_insert_encoded."""
        self._conn = conn
        self._insert = insert
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arcadia-bulk-insert")
        self._pending: Future | None = None

    def write(self, table: sa.Table, rows: Sequence[tuple], columns: Sequence[str]) -> None:
        """Start inserting `rows` (after any earlier write has finished); returns at once."""
        self.wait()
        self._pending = self._thread.submit(self._insert, self._conn, table, rows, columns)

    def wait(self) -> None:
        """Block until the connection is free again; re-raises the write's error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> "WriteBehind":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.wait()
            elif self._pending is not None:
                self._pending.exception()  # let it finish; the caller's error is the one to report
        finally:
            self._thread.shutdown(wait=True)
