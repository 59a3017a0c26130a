"""`ar_export` over a range of months (a single-run backfill): each month's materialization carries
that month's export alone, as a run of that month does, its sums as numbers to plot; the check
names every month it compared."""

import shutil
from datetime import datetime, timezone

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from arcadia_pipelines.billing.credit_notes import LineCredit
from arcadia_pipelines.definitions import defs
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import rows

from .runs import evaluations
from .test_month_metadata import MONTHS, by_partition, months_of, run_range

MOVED = datetime(2026, 5, 2, 9, 0, tzinfo=timezone.utc)


def export(instance, partition=None) -> dg.ExecuteInProcessResult:
    """`ar_export` and its check for one month, or for all of MONTHS in one run."""
    tags = {} if partition else {ASSET_PARTITION_RANGE_START_TAG: MONTHS[0], ASSET_PARTITION_RANGE_END_TAG: MONTHS[-1]}
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(
        partition_key=partition, tags=tags, instance=instance, raise_on_error=False,
        asset_selection=[dg.AssetKey("ar_export")])


def invoiced_and_moved(engine, instance):
    """Three months invoiced; every invoice issued, March's USD one paid, February's voided, and a
    correction credit note on April's pilot invoice."""
    months_of(engine)
    assert run_range(instance).success
    with engine.begin() as c:
        i = t.tenant_invoices
        for invoice in c.execute(sa.select(i).order_by(i.c.period_start, i.c.tenant_id)).all():
            apply_move(c, invoice.id, "issue", MOVED)
            month = invoice.period_start.isoformat()
            if month == MONTHS[0]:
                apply_move(c, invoice.id, "void", MOVED)
            elif (month, invoice.tenant_id) == (MONTHS[1], "yank"):
                apply_move(c, invoice.id, "pay", MOVED)
            elif (month, invoice.tenant_id) == (MONTHS[2], "pilot"):
                overage = c.scalar(sa.select(t.tenant_invoice_lines.c.id).where(
                    t.tenant_invoice_lines.c.invoice_id == invoice.id, t.tenant_invoice_lines.c.kind == "overage"))
                create_credit_note(c, invoice.id, "droplet stopped early", [LineCredit(overage, 300)], MOVED)


def test_a_range_reports_each_months_export_as_a_run_of_that_month_alone(engine, instance, tmp_path, monkeypatch):
    invoiced_and_moved(engine, instance)
    exports = tmp_path / "exports"
    monkeypatch.setenv("ARCADIA_EXPORT_DIR", str(exports))
    ranged = export(instance)
    assert ranged.success
    months = by_partition(ranged, "ar_export")
    [check] = evaluations(ranged)
    assert (check.passed, check.metadata["months"].value) == (True, "2026-02, 2026-03, 2026-04")
    assert check.metadata["checked"].value == ", ".join(f"{m[:7]} {f}" for m in MONTHS for f in ("csv", "parquet"))

    shutil.rmtree(exports)   # each month alone writes its files afresh, as the range did
    for month in MONTHS:
        alone = export(instance, month)
        assert alone.success
        assert by_partition(alone, "ar_export") == {month: months[month]}, month
        [check] = evaluations(alone)
        assert (check.passed, check.metadata["months"].value) == (True, month[:7])

    invoices, notes = rows(engine, t.tenant_invoices), rows(engine, t.credit_notes)
    for month, meta in months.items():
        mine = [i for i in invoices if str(i["period_start"]) == month]
        assert meta["path"] == str(exports / "ar" / month[:7])
        assert meta["invoices"] == meta["dagster/row_count"] == len(mine)
        assert meta["files_changed"] == ("invoices.csv, invoices.parquet, invoice_lines.csv, invoice_lines.parquet, "
                                         "credit_notes.csv, credit_notes.parquet, manifest.json")
        assert meta["currency"] == "AUD"
        for key, column in [("exported_subtotal", "subtotal_cents"), ("exported_tax", "tax_cents"),
                            ("exported_total", "total_cents")]:
            for name, currency in [(key, "AUD"), (f"{key} (USD)", "USD")]:
                want = sum(i[column] for i in mine if i["currency"] == currency)
                assert round(meta.get(name, 0) * 100) == want and isinstance(meta.get(name, 0.0), float)
    assert [months[m]["by_status"] for m in MONTHS] == [
        {"issued": 0, "paid": 0, "void": 1}, {"issued": 2, "paid": 1, "void": 0}, {"issued": 3, "paid": 0, "void": 0}]
    assert [months[m]["credit_notes"] for m in MONTHS] == [0, 0, 1]
    [note] = notes
    assert (months[MONTHS[2]]["credit_notes_total"], months[MONTHS[1]]["credit_notes_total"]) == (
        note["total_cents"] / 100, 0)
    assert "| USD |" not in months[MONTHS[0]]["totals"]
    assert "| USD | 20.00 | 0.00 | 20.00 |" in months[MONTHS[2]]["totals"]
