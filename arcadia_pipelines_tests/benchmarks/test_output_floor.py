"""The output floor loads the month's exact rows into copies of the six output tables that keep
their keys and foreign keys (a copy refuses what its original refuses), and leaves nothing behind."""

import pytest
import sqlalchemy as sa

from arcadia_pipelines_tests.monthend.rollup import rollup
from benchmarks.floor import OUTPUT_TABLES, load_output, output_copies
from benchmarks.generate import generate


def _count(conn, name: str) -> int:
    return conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar()


def test_the_month_s_rows_load_into_keyed_copies_which_are_dropped_afterwards(engine, warehouse_url):
    generate(warehouse_url, 20)
    rollup(engine)
    tables = set(sa.inspect(engine).get_table_names())

    with output_copies(engine) as copy:
        assert load_output(engine, copy) > 0
        with engine.connect() as c:
            counts = {t.name: (_count(c, copy(t.name)), _count(c, t.name)) for t in OUTPUT_TABLES}
        assert all(copied == original for copied, original in counts.values()), counts
        assert counts["tenant_invoice_lines"][0] > 0 and counts["usage_evidence"][0] > 0
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:   # the key came along
            c.exec_driver_sql(f"INSERT INTO {copy('tenant_invoice_lines')} "
                              f"SELECT * FROM tenant_invoice_lines WHERE invoice_id = (SELECT min(invoice_id) FROM "
                              f"tenant_invoice_lines) AND line_no = 1")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:   # and the foreign key
            c.exec_driver_sql(f"UPDATE {copy('tenant_invoice_lines')} SET invoice_id = invoice_id + 1000000")

    assert set(sa.inspect(engine).get_table_names()) == tables
    if engine.dialect.name == "postgresql":
        assert "bench_floor" not in sa.inspect(engine).get_schema_names()
