"""`ar_export` carries the month's credit notes: exact in CSV and Parquet, in the manifest, and
checked against the warehouse by `ar_export_matches_warehouse`."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd
import pyarrow.parquet as pq
import sqlalchemy as sa

from arcadia_pipelines.documents.ar_export import exported_totals, warehouse_totals
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.warehouse.schema import tenant_invoices

from .runs import evaluations
from .test_ar_export import APRIL, demo_month, export  # noqa: F401 - the fixture

CREDITED = datetime(2026, 5, 20, 9, 0, tzinfo=timezone.utc)


def test_credit_notes_are_exported_and_checked(
        instance, warehouse_url, demo_month, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ARCADIA_EXPORT_DIR", str(tmp_path / "exports"))
    with demo_month.begin() as c:
        ids = dict(c.execute(sa.select(tenant_invoices.c.tenant_id, tenant_invoices.c.id)).all())
        partial = create_credit_note(c, ids["pilot"], "droplet stopped early", None, CREDITED)
        full = create_credit_note(c, ids["harbour"], "goodwill", None, CREDITED)
    first = export(instance)
    assert first.success and all(e.passed for e in evaluations(first))
    folder = tmp_path / "exports" / "ar" / "2026-04"
    csv_notes = pd.read_csv(folder / "credit_notes.csv", dtype={"tax_rate": str})
    parquet_notes = pq.read_table(folder / "credit_notes.parquet").to_pandas()
    for df in (csv_notes, parquet_notes):
        assert str(df["total_cents"].dtype) == "int64"
        assert list(df["number"]) == ["CN-000001", "CN-000002"]
        assert list(df["total_cents"]) == [partial["total_cents"], full["total_cents"]]
        assert list(df["invoice_number"]) == ["INV-000001", "INV-000003"]
    assert csv_notes.iloc[0]["tax_rate"] == "0.1" and partial["total_cents"] == 7064
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["credit_notes"]["rows"] == 2
    assert manifest["credit_notes"]["totals_by_currency"]["AUD"]["total_cents"] == 7064 + full["total_cents"]
    assert first.asset_materializations_for_node("ar_export")[0].metadata["credit_notes"].value == 2

    csv_path = folder / "credit_notes.csv"
    csv_path.write_text(csv_path.read_text().replace(",7064,", ",7063,"))  # a tampered file fails the check
    with demo_month.connect() as c:
        expected = warehouse_totals(c, APRIL)
    found = exported_totals(folder)
    assert found["parquet"] == expected and found["csv"] != expected
