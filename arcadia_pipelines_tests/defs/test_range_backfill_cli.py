"""A range of months from the command line (`dg launch --partition-range`) is one run that walks
its months oldest first; the code location loads without a DeprecationWarning from our code."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_dg_launch_of_a_range_is_one_run_that_invoices_each_month_in_order(engine, warehouse_url, tmp_path):
    w = World(engine).worked_example()                  # pilot from 2026-03-01
    w.tenant("early").deployment("dep-early", "early").subscription("sub-early", "early", "dep-early", "studio",
                                                                     at(2026, 1, 1))
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": warehouse_url}
    p = subprocess.run([str(BIN / "dg"), "launch", "--assets", "deployment_usage,deployment_quotes,tenant_invoices",
                        "--partition-range", "2026-02-01...2026-04-01"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) \
            == ("2026-02-01", "2026-04-01")
        assert instance.get_materialized_partitions(dg.AssetKey("tenant_invoices")) == {
            "2026-02-01", "2026-03-01", "2026-04-01"}
        # each month's materialization reports that month alone
        records = instance.fetch_materializations(dg.AssetKey("tenant_invoices"), limit=10).records
        assert {r.asset_materialization.partition: (r.asset_materialization.metadata["dagster/row_count"].value,
                                                    r.asset_materialization.metadata["invoiced_total"].value)
                for r in records} == {"2026-02-01": (1, 55.0), "2026-03-01": (2, 118.25), "2026-04-01": (2, 125.64)}
    invoices = rows(engine, t.tenant_invoices, order_by="id")
    # invoice ids follow the months: February was invoiced first, April last
    assert [(str(i["period_start"]), i["tenant_id"], i["total_cents"]) for i in invoices] == [
        ("2026-02-01", "early", 5500),
        ("2026-03-01", "early", 5500), ("2026-03-01", "pilot", 6325),
        ("2026-04-01", "early", 5500), ("2026-04-01", "pilot", 7064)]


def test_loading_the_code_location_raises_no_deprecation_warning_from_our_code(tmp_path):
    """Dagster's superseded APIs warn with a FutureWarning: those fail too when our modules call them."""
    code = ("import warnings\n"
            "warnings.filterwarnings('error', category=FutureWarning, module='arcadia_pipelines')\n"
            "from arcadia_pipelines.definitions import defs\n"
            "defs.resolve_all_job_defs(), defs.resolve_asset_graph()\n")
    p = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code],
                       cwd=ROOT, env={**os.environ, "DAGSTER_HOME": str(tmp_path)}, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
