"""Shared fixtures: real SQLite and PostgreSQL warehouses.

PostgreSQL: one throw-away database per test session (dropped at the end), emptied between
tests. Without a server the PostgreSQL tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import upgrade
from arcadia_pipelines.warehouse.schema import metadata

SLOW_DIRS = {"defs", "benchmarks", "demo"}  # Dagster runs and the code location; benchmark runs; the demo
SLOW_FIXTURES = {"instance", "home", "demo_env", "webserver"}  # a Dagster instance; the CLI or a server as a subprocess
PG_ADMIN_URL = os.environ.get("ARCADIA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SEEDED = {"tax_rates"}  # tables the migrations ship rows in


@pytest.fixture(scope="session")
def pg_admin():
    """An AUTOCOMMIT engine on the PostgreSQL server, for creating throw-away databases."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and is not reachable: {e}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    created = []

    def create(purpose: str) -> str:
        name = f"arcadia_test_{purpose}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        created.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    yield create
    with admin.connect() as c:
        for name in created:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url(pg_admin):
    """URL of a fresh PostgreSQL warehouse for this session, migrated to head."""
    url = pg_admin("warehouse")
    engine = create_warehouse_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _empty_pg(engine: sa.Engine) -> None:
    """Empty every table but the shipped seed rows, and restart every id sequence, so each test
    starts from a new warehouse. DELETE, not TRUNCATE: a test's few rows go in a few milliseconds,
    where TRUNCATE's new files per table cost some 60 ms a test."""
    with engine.begin() as c:
        for table in reversed(metadata.sorted_tables):  # referencing tables first
            if table.name not in SEEDED:
                c.exec_driver_sql(f'DELETE FROM "{table.name}"')
        c.exec_driver_sql("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'")
        c.exec_driver_sql("DELETE FROM tax_rates WHERE NOT (country = 'AU' AND effective_from = '2000-07-01')")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated, empty SQLite warehouse file, copied for each test instead of migrating each."""
    path = tmp_path_factory.mktemp("sqlite_template") / "warehouse.db"
    engine = create_warehouse_engine(f"sqlite:///{path}")
    upgrade(engine)
    raw = engine.raw_connection()  # outside a transaction, which a checkpoint needs
    raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the one file
    raw.close()
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request, tmp_path):
    """A migrated, empty warehouse on each backend; yields its URL."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "warehouse.db")
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
    else:
        yield request.getfixturevalue("empty_pg_url")


@pytest.fixture
def empty_pg_url(pg_url):
    """The session's PostgreSQL warehouse, emptied for this test."""
    engine = create_warehouse_engine(pg_url)
    _empty_pg(engine)
    engine.dispose()
    return pg_url


@pytest.fixture
def engine(warehouse_url):
    engine = create_warehouse_engine(warehouse_url)
    yield engine
    engine.dispose()


def pytest_collection_modifyitems(items):
    """`slow`: what runs Dagster, the CLI or a server in a subprocess, or a benchmark, by folder and
    fixture (other modules that do so, or wait out real timeouts, say `pytestmark = pytest.mark.slow`).
    `pytest -m "not slow"` is the developer's fast loop; CI runs everything."""
    here = Path(__file__).parent
    for item in items:
        folders = set(Path(item.path).relative_to(here).parts[:-1]) if here in Path(item.path).parents else set()
        if folders & SLOW_DIRS or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
