"""The API's engines on the warehouse, so that a held lock is answered quickly instead of hanging.

Reads (every GET, and the key check of every request) run in read-only transactions, which never
wait for a writer: a month-end stage or a move in progress does not delay them. Moves have their
own small pool, so moves stuck behind a lock never take the connections reads need. A move waits
at most LOCK_WAIT_S for its lock (SQLite's write lock, or the invoice's row on PostgreSQL) and
POOL_WAIT_S for a connection; past either it is answered 503 `busy` (errors.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from arcadia_pipelines.warehouse.engine import create_warehouse_engine

LOCK_WAIT_S = 3
POOL_WAIT_S = 2
MOVE_CONNECTIONS = 4
READ_CONNECTIONS, READ_OVERFLOW = 10, 10


@dataclass(frozen=True)
class ApiEngines:
    reads: sa.Engine
    moves: sa.Engine

    @classmethod
    def on(cls, url: sa.URL) -> ApiEngines:
        return cls(
            reads=create_warehouse_engine(url, read_only=True, lock_timeout=LOCK_WAIT_S, pool_size=READ_CONNECTIONS,
                                          max_overflow=READ_OVERFLOW, pool_timeout=POOL_WAIT_S),
            moves=create_warehouse_engine(url, lock_timeout=LOCK_WAIT_S, pool_size=MOVE_CONNECTIONS, max_overflow=0,
                                          pool_timeout=POOL_WAIT_S))

    def dispose(self) -> None:
        self.reads.dispose()
        self.moves.dispose()
