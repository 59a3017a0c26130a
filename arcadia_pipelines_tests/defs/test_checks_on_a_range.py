"""A range of months in one run (a single-run backfill): every monthly check runs once and names
each month of the range it checked, not only the first or the last."""

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from arcadia_pipelines.definitions import defs

from .runs import evaluations
from .test_checks_without_a_partition import MONTHLY_CHECKS
from .test_month_metadata import MONTHS, months_of

MONTHLY_ASSETS = ["deployment_usage", "deployment_quotes", "tenant_invoices", "cost_vs_revenue", "ar_export"]


def test_every_check_of_a_range_run_names_all_its_months(engine, instance, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCADIA_EXPORT_DIR", str(tmp_path / "exports"))
    months_of(engine)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=[dg.AssetKey(a) for a in MONTHLY_ASSETS],
        tags={ASSET_PARTITION_RANGE_START_TAG: MONTHS[0], ASSET_PARTITION_RANGE_END_TAG: MONTHS[-1]})
    assert result.success
    checks = evaluations(result)
    assert sorted(c.check_name for c in checks) == sorted(MONTHLY_CHECKS)
    assert {c.check_name: c.metadata["months"].value for c in checks} == {
        name: "2026-02, 2026-03, 2026-04" for name in MONTHLY_CHECKS}
    assert {c.check_name for c in checks if not c.passed} == set()
