"""Every table, view and column is described once (column_docs.py), and PostgreSQL carries the descriptions."""

import pytest
import sqlalchemy as sa
from alembic import command

from arcadia_pipelines.warehouse import column_docs
from arcadia_pipelines.warehouse.column_docs import TABLES, VIEWS, relation_docs, write_comments
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import alembic_config, upgrade
from arcadia_pipelines.warehouse.schema import metadata

PG_COMMENTS = """
SELECT c.relname, a.attname, col_description(c.oid, a.attnum)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v') AND a.attnum > 0 AND NOT a.attisdropped
"""


def test_every_table_and_column_of_the_schema_has_a_description_and_nothing_else_does():
    """Strict both ways: a new column needs a description, a dropped one takes its description along."""
    assert set(TABLES) == set(metadata.tables)
    for table in metadata.tables.values():
        assert set(TABLES[table.name].columns) == set(table.columns.keys()), table.name
        assert table.comment and table.comment == TABLES[table.name].description
        for column in table.columns:
            assert column.comment and column.comment.strip(), f"{table.name}.{column.name} has no description"


def test_view_descriptions_name_a_type_for_every_column():
    for name, view in VIEWS.items():
        assert view.description and name.startswith("bi_") and name not in TABLES
        assert all(type_ and text.strip() for type_, text in view.columns.values()), name


def test_postgresql_has_every_description_as_a_comment_after_upgrade(empty_pg_url):
    engine = create_warehouse_engine(empty_pg_url)
    with engine.connect() as c:
        comments = {(table, column): text for table, column, text in c.exec_driver_sql(PG_COMMENTS)}
        tables = {name: c.exec_driver_sql(f"SELECT obj_description('{name}'::regclass, 'pg_class')").scalar()
                  for name in [*TABLES, *VIEWS]}
    engine.dispose()
    expected = {(name, column): text for name in [*TABLES, *VIEWS]
                for column, text in relation_docs(name).columns.items()}
    assert {k for k in comments if k[0] in tables} == set(expected)  # the database has no column the docs lack
    assert {k: comments.get(k) for k in expected} == expected
    assert comments[("tenant_invoices", "tax_rate")] == (
        "Tax rate applied (exact decimal, 0.10 = 10%); null when no tax applied.")
    assert comments[("bi_invoices", "total")].startswith("subtotal + tax in currency units; numeric(20, 2)")
    assert tables == {name: relation_docs(name).description for name in [*TABLES, *VIEWS]}


def test_a_changed_description_is_written_again_by_calling_write_comments(empty_pg_url, monkeypatch):
    """What a later migration does after a docs change."""
    monkeypatch.setitem(column_docs.TABLES["tenants"].columns, "name", "The tenant's legal name, it's on invoices.")
    engine = create_warehouse_engine(empty_pg_url)
    with engine.connect() as c, c.begin() as tx:   # rolled back: the session's database keeps its comments
        names = [*TABLES, *VIEWS]
        assert write_comments(c) == len(names) + sum(len(relation_docs(n).columns) for n in names)
        assert c.exec_driver_sql("SELECT col_description('tenants'::regclass, 2)").scalar() == (
            "The tenant's legal name, it's on invoices.")
        tx.rollback()
    engine.dispose()


def test_sqlite_has_no_comments_to_write(tmp_path):
    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'w.db'}")
    upgrade(engine)
    with engine.begin() as c:
        assert write_comments(c) == 0
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def own_warehouse(request, tmp_path):
    """A warehouse of this test alone, migrated to head (it migrates down and up again)."""
    url = (f"sqlite:///{tmp_path / 'w.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_admin")("downgrade"))
    engine = create_warehouse_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_downgrading_0007_drops_the_views_and_comments_and_upgrading_restores_them(own_warehouse):
    with own_warehouse.begin() as c:
        command.downgrade(alembic_config(c), "0006")
    postgresql = own_warehouse.dialect.name == "postgresql"
    inspector = sa.inspect(own_warehouse)
    assert inspector.get_view_names() == []
    if postgresql:
        assert inspector.get_table_comment("tenants")["text"] is None
        assert inspector.get_columns("tenants")[1]["comment"] is None
    upgrade(own_warehouse)
    inspector = sa.inspect(own_warehouse)
    assert sorted(inspector.get_view_names()) == sorted(VIEWS)
    if postgresql:
        assert inspector.get_table_comment("tenants")["text"] == TABLES["tenants"].description
        assert inspector.get_columns("tenants")[1]["comment"] == TABLES["tenants"].columns["name"]
