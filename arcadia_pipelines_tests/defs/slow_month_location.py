"""A code location for the run-monitoring test: one monthly asset that runs far longer than the
test, so its run is still going when the test kills it. Steps run in the run's own process, as in
the project's code location.

`python -m arcadia_pipelines_tests.defs.slow_month_location MONTH RUN_ID` runs it in this process
on the DAGSTER_HOME instance, as `arcadia-pipelines rollup` runs `monthly_invoicing`.
"""

import sys
import time

import dagster as dg

from arcadia_pipelines.defs.partitions import monthly_partitions


@dg.asset(partitions_def=monthly_partitions)
def slow_month() -> None:
    time.sleep(600)


defs = dg.Definitions(assets=[slow_month], jobs=[dg.define_asset_job("slow_month_job", selection=[slow_month])],
                      executor=dg.in_process_executor)

if __name__ == "__main__":
    month, run_id = sys.argv[1:]
    with dg.DagsterInstance.get() as instance:
        defs.resolve_job_def("slow_month_job").execute_in_process(partition_key=month, run_id=run_id, instance=instance)
