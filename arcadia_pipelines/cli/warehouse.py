"""The warehouse a verb works on: ARCADIA_WAREHOUSE_URL (or DAGSTER_HOME's warehouse.db), opened,
migrated and disposed of when the verb is done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from arcadia_pipelines.cli.common import PROG, CliError

if TYPE_CHECKING:
    import sqlalchemy as sa


@contextmanager
def open_warehouse(*, existing: bool = False) -> Iterator[sa.Engine]:
    """The migrated warehouse's engine. A verb that only reads, or changes rows that must be there
    already (`existing`), refuses a SQLite file that does not exist rather than create an empty
    warehouse where a path was mistyped."""
    from arcadia_pipelines.warehouse.engine import create_warehouse_engine, supported_url, warehouse_url
    from arcadia_pipelines.warehouse.migrate import upgrade

    url = supported_url(warehouse_url())
    if existing:
        _refuse_missing_sqlite_file(url)
    engine = create_warehouse_engine(url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def _refuse_missing_sqlite_file(url: sa.URL) -> None:
    path = url.database if url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).is_file():
        raise CliError(f"no warehouse at {path}: check ARCADIA_WAREHOUSE_URL (or DAGSTER_HOME, whose warehouse.db "
                       f"is the default), or create one with '{PROG} migrate' or '{PROG} demo'")
