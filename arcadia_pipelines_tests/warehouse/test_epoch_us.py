"""`epoch_us`: a stored timestamp as exact epoch microseconds, the base of every whole-hour count."""

import sqlite3.dbapi2
from datetime import datetime, timedelta, timezone

import pytest
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


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("text, moment", [
    ("2026-04-02 10:00:00.000001", utc(2026, 4, 2, 10, 0, 0, 1)),
    ("2026-04-02T10:59:59.9996", utc(2026, 4, 2, 10, 59, 59, 999600)),
    ("2026-04-02 10:59:59.9996Z", utc(2026, 4, 2, 10, 59, 59, 999600)),
    ("2026-04-02T12:00:00+02:00", utc(2026, 4, 2, 10)),
    ("2026-04-02T12:00:00.5+02:00", utc(2026, 4, 2, 10, 0, 0, 500000)),
    ("2026-04-02T05:00:00.25-05:00", utc(2026, 4, 2, 10, 0, 0, 250000)),
    ("2026-04-02 10:00:00", utc(2026, 4, 2, 10)),
    ("2026-04-02 10:00", utc(2026, 4, 2, 10)),
    ("2026-04-02", utc(2026, 4, 2)),
    ("1969-12-31 23:59:59.5", utc(1969, 12, 31, 23, 59, 59, 500000)),
    ("2026-04-02 10:00:00.1234567", utc(2026, 4, 2, 10, 0, 0, 123456)),
])
@pytest.mark.parametrize("sqlite_version", [sqlite3.dbapi2.sqlite_version_info, (3, 37, 2)])
def test_sqlite_reads_timestamps_other_writers_may_store(tmp_path, monkeypatch, text, moment, sqlite_version):
    """The platform writes the source tables: ISO text with or without 'T', fraction, offset or 'Z'."""
    monkeypatch.setattr(sqlite3.dbapi2, "sqlite_version_info", sqlite_version)
    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'raw.db'}")
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE raw (x TEXT)")
        c.exec_driver_sql("INSERT INTO raw VALUES (?)", (text,))
        assert c.scalar(sa.select(epoch_us(sa.column("x"))).select_from(sa.table("raw"))) == micros(moment)
