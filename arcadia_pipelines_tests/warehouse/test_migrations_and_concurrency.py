"""Schema migrations, exact storage, and concurrent writers of one partition."""

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import VERSION_TABLE, alembic_config, upgrade
from arcadia_pipelines_tests.builders import World, rows

from arcadia_pipelines_tests.monthend.rollup import rollup


# Alembic cannot compare indexes on expressions (SQLite's cannot be reflected; PostgreSQL shows a
# CASE on several lines, which its comparison keeps apart): they are checked by name here, and by
# the usage tests' EXPLAIN, which finds them only when the expression is the queries' own.
EXPRESSION_INDEXES = {i.name for table in t.metadata.tables.values() for i in table.indexes
                      if any(not isinstance(e, sa.Column) for e in i.expressions)}


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_build_exactly_the_schema_the_code_uses(engine):
    def compared(obj, name, type_, reflected, compare_to):
        return not (type_ == "index" and name in EXPRESSION_INDEXES)

    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"include_object": compared}), t.metadata)
        indexes = set(c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'" if c.dialect.name
                                         == "sqlite" else "SELECT indexname FROM pg_indexes").scalars())
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)] == []
    assert EXPRESSION_INDEXES and EXPRESSION_INDEXES <= indexes
    assert upgrade(engine) == upgrade(engine)  # idempotent
    [gst] = rows(engine, t.tax_rates)
    assert (gst["country"], gst["name"], gst["rate"], str(gst["effective_from"])) == (
        "AU", "GST", Decimal("0.10"), "2000-07-01")


def test_numeric_columns_keep_every_digit(engine):
    World(engine).plan("p", 0, meters=[("droplet_hours", "droplet", "1.5E+3", "0.000000000001")])
    [m] = rows(engine, t.plan_meters)
    assert (m["included_quantity"], m["overage_unit_price_cents"]) == (Decimal(1500), Decimal("1E-12"))
    with engine.connect() as c:  # what a BI tool reads: fixed-point text on SQLite, NUMERIC on PostgreSQL
        stored = c.exec_driver_sql("SELECT CAST(included_quantity AS TEXT), "
                                   "CAST(overage_unit_price_cents AS TEXT) FROM plan_meters").one()
    assert tuple(stored) == ("1500", "0.000000000001")


def test_upgrading_sqlite_rewrites_exponent_form_decimals(tmp_path):
    """Warehouses written before 0005 held some decimals as '1.5E+3'."""
    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as c:
        command.upgrade(alembic_config(c), "0004")
        c.exec_driver_sql("INSERT INTO plans VALUES ('p', '2026-01-01', 'P', 5000, 'AUD')")
        c.exec_driver_sql("INSERT INTO plan_meters VALUES ('p', '2026-01-01', 'droplet_hours', 'droplet', "
                          "'1.5E+3', '1E-12')")
    upgrade(engine)
    with engine.connect() as c:
        assert tuple(c.exec_driver_sql("SELECT included_quantity, overage_unit_price_cents FROM plan_meters")
                     .one()) == ("1500", "0.000000000001")


def test_two_rollups_of_one_month_at_once_leave_one_invoice_per_tenant(warehouse_url):
    engine = create_warehouse_engine(warehouse_url)
    w = World(engine).worked_example("t0")
    for n in range(1, 20):
        w.example_tenant(f"t{n}")
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        own = create_warehouse_engine(warehouse_url)
        try:
            barrier.wait()
            rollup(own)
        except Exception as e:  # surfaced below
            errors.append(e)
        finally:
            own.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    invoices = rows(engine, t.tenant_invoices)
    assert sorted(i["tenant_id"] for i in invoices) == sorted(f"t{n}" for n in range(20))
    assert {i["total_cents"] for i in invoices} == {7064}
    with engine.connect() as c:
        per_invoice = c.execute(sa.select(t.tenant_invoice_lines.c.invoice_id, sa.func.count())
                                .group_by(t.tenant_invoice_lines.c.invoice_id)).all()
    assert len(per_invoice) == 20 and {n for _, n in per_invoice} == {4}
    assert len(rows(engine, t.deployment_usage)) == 20 and len(rows(engine, t.deployment_quotes)) == 60
    engine.dispose()


def test_credit_notes_made_before_0012_are_corrections_and_a_purpose_is_one_of_two(engine):
    """0012 adds `credit_notes.purpose`: notes already made were all corrections; the CHECK keeps it
    to correction or goodwill, on both backends."""
    from datetime import datetime, timezone

    from arcadia_pipelines.invoicing.credit import create_credit_note
    from arcadia_pipelines.invoicing.moves import apply_move

    World(engine).worked_example()
    rollup(engine)
    now = datetime(2026, 5, 2, tzinfo=timezone.utc)
    [invoice] = rows(engine, t.tenant_invoices)
    with engine.begin() as c:
        apply_move(c, invoice["id"], "issue", now)
        create_credit_note(c, invoice["id"], "overage billed twice", None, now, purpose="goodwill")
    with engine.begin() as c:
        command.downgrade(alembic_config(c), "0011")
    upgrade(engine)

    assert [n["purpose"] for n in rows(engine, t.credit_notes)] == ["correction"]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
        c.execute(sa.update(t.credit_notes).values(purpose="refund"))
