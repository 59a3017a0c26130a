"""`epoch_us`: a stored timestamp as exact epoch microseconds, the base of every whole-hour count."""

import sqlite3.dbapi2
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import upgrade
from arcadia_pipelines.warehouse.sqlfuncs import epoch_us
from arcadia_pipelines_tests.builders import World, at

UTC = timezone.utc
MOMENTS = [at(2026, 4, 1), at(2026, 4, 30, 23, 59, 59), datetime(2026, 4, 2, 10, 0, 0, 1, tzinfo=UTC),
           datetime(2026, 4, 2, 10, 59, 59, 999600, tzinfo=UTC),  # SQLite's date functions round this up
           datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]


def micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)


def stored_epochs(engine) -> list[int]:
    w = World(engine)
    for n, moment in enumerate(MOMENTS):
        w.resource("d", f"r{n}", moment)
    m = t.metered_resources
    with engine.connect() as c:
        return list(c.scalars(sa.select(epoch_us(m.c.started_at)).order_by(m.c.resource_id)))


def test_epoch_microseconds_are_exact(engine):
    assert stored_epochs(engine) == [micros(m) for m in MOMENTS]


def test_sqlite_before_3_38_gets_the_same_microseconds(tmp_path, monkeypatch):
    """No unixepoch() there: strftime('%s') instead."""
    monkeypatch.setattr(sqlite3.dbapi2, "sqlite_version_info", (3, 37, 2))  # the module SQLAlchemy uses
    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    assert "strftime" in str(sa.select(epoch_us(t.metered_resources.c.started_at)).compile(engine))
    assert stored_epochs(engine) == [micros(m) for m in MOMENTS]
