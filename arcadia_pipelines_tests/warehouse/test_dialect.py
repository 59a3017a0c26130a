"""The dialect adapter answers the backend questions the same way on SQLite and PostgreSQL."""

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.dialect import UnsupportedDatabase, dialect_of
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines_tests.builders import rows


def test_an_insert_ignoring_conflicts_keeps_the_row_already_there(engine):
    insert = dialect_of(engine).insert_ignoring_conflicts
    with engine.begin() as c:
        c.execute(insert(t.tenants), [{"id": "t1", "name": "First"}])
        c.execute(insert(t.tenants, ["id"]), [{"id": "t1", "name": "Second"}, {"id": "t2", "name": "Other"}])
    assert [(r["id"], r["name"]) for r in rows(engine, t.tenants)] == [("t1", "First"), ("t2", "Other")]


@pytest.mark.parametrize("text, is_number", [
    ("12", True), ("-0.5", True), ("1500", True), (".5", True),
    ("", False), ("abc", False), ("1.2.3", False), ("-.", False), ("1e3", False), ("--1", False)])
def test_stored_text_that_is_no_decimal_is_recognised(engine, text, is_number):
    dialect = dialect_of(engine)
    with engine.connect() as c:
        found = c.scalar(sa.select(dialect.not_a_number(sa.literal(text, sa.Text))))
    # PostgreSQL's NUMERIC holds numbers only: nothing stored there is text
    assert bool(found) == (dialect.decimals_as_text and not is_number)


def test_writers_of_one_month_take_turns(warehouse_url):
    """The month lock: a second writer of the same month waits for the first to commit."""
    engine = create_warehouse_engine(warehouse_url)
    dialect = dialect_of(engine)
    order = []
    def second():
        with engine.begin() as c:
            dialect.lock_partition(c, "test_lock", date(2026, 4, 1))
            order.append("second")

    with engine.begin() as c:
        dialect.lock_partition(c, "test_lock", date(2026, 4, 1))
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        order.append("first")
    thread.join()
    engine.dispose()
    assert order == ["first", "second"]


def test_a_database_other_than_postgresql_or_sqlite_is_named_in_one_line():
    with pytest.raises(UnsupportedDatabase, match="^the warehouse runs on PostgreSQL or SQLite, not mysql$"):
        dialect_of(mysql.dialect())
