"""`ar_export` for April 2026 after the demo: CSV and Parquet that add up to the warehouse, exact
amounts, and a re-run that changes no byte."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.definitions import defs
from arcadia_pipelines.demo.seed import seed
from arcadia_pipelines.documents.ar_export import exported_totals, month_dir, warehouse_totals
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.schema import tenant_invoice_lines, tenant_invoices

from .runs import evaluations, run

APRIL = Period.parse("2026-04")
MOVED = datetime(2026, 5, 2, 9, 0, tzinfo=timezone.utc)
FILES = ("invoices.csv", "invoices.parquet", "invoice_lines.csv", "invoice_lines.parquet", "credit_notes.csv",
         "credit_notes.parquet", "manifest.json")


@pytest.fixture
def demo_month(instance, warehouse_url):
    """The demo's April 2026 invoiced through Dagster; pilot and kiwi issued, harbour paid, switch voided."""
    engine = create_warehouse_engine(warehouse_url)
    with engine.begin() as c:
        seed(c)
    assert run(instance).success
    with engine.begin() as c:
        ids = dict(c.execute(sa.select(tenant_invoices.c.tenant_id, tenant_invoices.c.id)).all())
        for tenant, moves in {"pilot": ["issue"], "kiwi": ["issue"], "harbour": ["issue", "pay"],
                              "switch": ["void"]}.items():
            for move in moves:
                apply_move(c, ids[tenant], move, MOVED)
    yield engine
    engine.dispose()


def export(instance):
    """`ar_export` and its check for April 2026, as the code location runs them (the warehouse from the
    environment the `instance` fixture sets)."""
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(partition_key="2026-04-01", instance=instance, raise_on_error=False,
                                  asset_selection=[dg.AssetKey("ar_export")])


def hashes(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


def test_april_export_adds_up_to_the_warehouse_and_a_rerun_changes_no_byte(
        instance, warehouse_url, demo_month, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCADIA_EXPORT_DIR", str(tmp_path / "exports"))
    first = export(instance)
    assert first.success
    [check] = evaluations(first)
    assert check.passed and check.check_name == "ar_export_matches_warehouse"
    folder = tmp_path / "exports" / "ar" / "2026-04"
    with demo_month.connect() as c:
        i = tenant_invoices
        want = c.execute(sa.select(sa.func.count(), sa.func.sum(i.c.total_cents), sa.func.sum(i.c.tax_cents))
                         .where(i.c.status != "draft")).one()
        lines = c.scalar(sa.select(sa.func.sum(tenant_invoice_lines.c.amount_cents))
                         .join(i, i.c.id == tenant_invoice_lines.c.invoice_id).where(i.c.status != "draft"))
    assert want[0] == 4
    csv_invoices = pd.read_csv(folder / "invoices.csv", dtype={"tax_rate": str})
    parquet_invoices = pq.read_table(folder / "invoices.parquet").to_pandas()
    for df in (csv_invoices, parquet_invoices):
        assert str(df["total_cents"].dtype) == "int64"
        assert (len(df), int(df["total_cents"].sum()), int(df["tax_cents"].sum())) == tuple(want)
    assert sorted(parquet_invoices["status"]) == ["issued", "issued", "paid", "void"]
    pilot = csv_invoices[csv_invoices["tenant_id"] == "pilot"].iloc[0]
    assert (pilot["number"], pilot["total_cents"], pilot["tax_rate"]) == ("INV-000001", 7064, "0.1")
    for name in ("invoice_lines.csv", "invoice_lines.parquet"):
        df = (pd.read_csv(folder / name, dtype={"quantity": str}) if name.endswith("csv")
              else pq.read_table(folder / name).to_pandas())
        assert int(df["amount_cents"].sum()) == lines and str(df["amount_cents"].dtype) == "int64"
        assert set(df["quantity"].map(type)) == {str}  # exact decimal text, never float
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["invoices"]["totals_by_currency"]["AUD"]["total_cents"] == want[1]
    assert manifest["invoices"]["by_status"] == {"issued": 2, "paid": 1, "void": 1}
    assert {n: f["sha256"] for n, f in manifest["files"].items()} == {
        n: h for n, h in hashes(folder).items() if n != "manifest.json"}

    before, mtimes = hashes(folder), {n: (folder / n).stat().st_mtime_ns for n in FILES}
    second = export(instance)
    assert second.success
    assert hashes(folder) == before and {n: (folder / n).stat().st_mtime_ns for n in FILES} == mtimes
    materialization = second.asset_materializations_for_node("ar_export")[0]
    assert materialization.metadata["files_changed"].value == "none"


def test_what_the_check_compares_tells_a_tampered_file_from_the_warehouse(
        instance, warehouse_url, demo_month, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCADIA_EXPORT_DIR", str(tmp_path / "exports"))
    assert export(instance).success
    folder = month_dir(APRIL)
    with demo_month.connect() as c:
        expected = warehouse_totals(c, APRIL)
    assert exported_totals(folder) == {"csv": expected, "parquet": expected}
    csv_path = folder / "invoices.csv"
    csv_path.write_text(csv_path.read_text().replace(",7064,", ",7065,"))
    found = exported_totals(folder)
    assert found["parquet"] == expected and found["csv"] != expected
