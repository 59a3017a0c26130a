"""`ar_export`: the month's issued, paid and void invoices, their lines and credit notes for the ledger, as CSV and
Parquet with a manifest (documents/ar_export.py), and a blocking check that the files add up to the
warehouse."""

import dagster as dg

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.documents.ar_export import (
    EXPORT_DIR_ENV,
    export_month,
    exported_totals,
    month_dir,
    warehouse_totals,
)
from arcadia_pipelines.documents.published_folder import PublishError

from ..metadata import markdown_table, names
from ..partitions import checked_periods, monthly_partitions, one_run_per_range, periods
from ..resources import WarehouseResource


@dg.asset(partitions_def=monthly_partitions, backfill_policy=one_run_per_range, group_name="finance",
          owners=["team:finance"], kinds={"pandas", "parquet", "csv"}, deps=["tenant_invoices"],
          description=f"Accounts-receivable export of the month: issued, paid and void invoices, their lines and "
                      f"credit notes as "
                      f"CSV and Parquet with a manifest (row counts, sums, SHA-256), in "
                      f"${EXPORT_DIR_ENV}/ar/YYYY-MM/. A re-run on unchanged data changes no byte; a month's "
                      f"files are replaced all at once (a failed export leaves the previous one as it was).")
def ar_export(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    exports = []
    for period in periods(context):
        try:
            with warehouse.engine.connect() as conn:
                exports.append(export_month(conn, period))
        except PublishError as e:  # one line naming the file; that month's previous export stands
            raise dg.Failure(description=f"ar_export {period.label}: {e}") from None
    totals = [(e.manifest["period"], cur, *(format_cents(t[k]) for k in ("subtotal_cents", "tax_cents", "total_cents")))
              for e in exports for cur, t in e.manifest["invoices"]["totals_by_currency"].items()]
    return dg.MaterializeResult(metadata={
        "folders": ", ".join(str(e.folder) for e in exports),
        "path": dg.MetadataValue.path(str(exports[-1].folder)),
        "invoices": sum(e.manifest["invoices"]["rows"] for e in exports),
        "invoice_lines": sum(e.manifest["invoice_lines"]["rows"] for e in exports),
        "credit_notes": sum(e.manifest["credit_notes"]["rows"] for e in exports),
        "by_status": dg.MetadataValue.json({e.manifest["period"]: e.manifest["invoices"]["by_status"]
                                            for e in exports}),
        "totals": markdown_table(["month", "currency", "subtotal", "tax", "total"], totals),
        "files_changed": ", ".join(f"{e.manifest['period']}/{f}" for e in exports for f in e.changed) or "none",
    })


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
