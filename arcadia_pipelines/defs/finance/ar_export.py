"""`ar_export`: the month's issued, paid and void invoices, their lines and credit notes for the ledger, as CSV and
Parquet with a manifest (documents/ar_export.py), and a blocking check that the files add up to the
warehouse."""

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.documents.ar_export import (
    EXPORT_DIR_ENV,
    EXPORTED_STATUSES,
    ArExport,
    export_month,
    exported_totals,
    month_dir,
    warehouse_totals,
)
from arcadia_pipelines.documents.published_folder import PublishError
from arcadia_pipelines.warehouse.schema import tenant_invoices

from ..metadata import amounts_by_currency, main_currency, markdown_table, names, report_each_month
from ..partitions import checked_periods, monthly_partitions, one_run_per_range, periods
from ..resources import WarehouseResource

SUMS = ("subtotal_cents", "tax_cents", "total_cents")


@dg.asset(partitions_def=monthly_partitions, backfill_policy=one_run_per_range, group_name="finance",
          owners=["team:finance"], kinds={"pandas", "parquet", "csv"}, deps=["tenant_invoices"],
          description=f"Accounts-receivable export of the month: issued, paid and void invoices, their lines and "
                      f"credit notes as "
                      f"CSV and Parquet with a manifest (row counts, sums, SHA-256), in "
                      f"${EXPORT_DIR_ENV}/ar/YYYY-MM/. A re-run on unchanged data changes no byte; a month's "
                      f"files are replaced all at once (a failed export leaves the previous one as it was).")
def ar_export(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    report = {}
    for period in periods(context):
        try:
            with warehouse.engine.connect() as conn:
                export = export_month(conn, period)
                main = _main_currency(conn, period)
        except PublishError as e:  # one line naming the file; that month's previous export stands
            raise dg.Failure(description=f"ar_export {period.label}: {e}") from None
        report[period] = _export_metadata(export, main)
    report_each_month(context, report)
    return dg.MaterializeResult()


def _main_currency(conn: sa.Connection, period: Period) -> str:
    """The currency most of the month's exported invoices are in, as in tenant_invoices' metadata."""
    i = tenant_invoices
    return main_currency(dict(conn.execute(sa.select(i.c.currency, sa.func.count()).where(
        i.c.period_start == period.start, i.c.status.in_(EXPORTED_STATUSES)).group_by(i.c.currency)).all()))


def _export_metadata(export: ArExport, main: str) -> dict[str, object]:
    """A month's export as metadata: its files' row counts and sums, the sums also as numbers the Plots
    tab draws (`exported_total` in the month's `currency`, `exported_total (USD)` for another one)."""
    m = export.manifest
    invoices, notes = m["invoices"]["totals_by_currency"], m["credit_notes"]["totals_by_currency"]
    return {
        "path": dg.MetadataValue.path(str(export.folder)),
        "dagster/row_count": m["invoices"]["rows"],
        "invoices": m["invoices"]["rows"], "invoice_lines": m["invoice_lines"]["rows"],
        "credit_notes": m["credit_notes"]["rows"],
        "by_status": dg.MetadataValue.json(m["invoices"]["by_status"]),
        "totals": markdown_table(["currency", "subtotal", "tax", "total"],
                                 [(cur, *(format_cents(t[k]) for k in SUMS)) for cur, t in invoices.items()]),
        **amounts_by_currency(main, {
            **{f"exported_{k.removesuffix('_cents')}": {c: t[k] for c, t in invoices.items()} for k in SUMS},
            "credit_notes_total": {c: t["total_cents"] for c, t in notes.items()}}),
        "files_changed": ", ".join(export.changed) or "none",
    }


@dg.asset_check(asset=ar_export, blocking=True,
                description="The exported CSV and Parquet files add up to the warehouse: per currency the "
                            "invoices' and the credit notes' subtotal, tax and total, and the lines' amounts.")
def ar_export_matches_warehouse(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    mismatches, checked, months = [], [], checked_periods(context)
    for period in months:
        with warehouse.engine.connect() as conn:
            expected = warehouse_totals(conn, period)
        for fmt, found in exported_totals(month_dir(period)).items():
            checked.append(f"{period.label} {fmt}")
            if found != expected:
                mismatches.append(f"{period.label} {fmt}: files {found} != warehouse {expected}")
    return dg.AssetCheckResult(passed=not mismatches, metadata={
        "months": names(p.label for p in months), "checked": ", ".join(checked),
        "mismatches": "\n".join(mismatches) or "none"})
