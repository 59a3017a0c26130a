"""A stage's progress in the run's Dagster log, about every 10% of its tenants, so the UI shows
where a long month is (monthend/progress.py measures it)."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from arcadia_pipelines.monthend.progress import every_tenth, reporting_to


@contextmanager
def progress_in_run_log(context: dg.OpExecutionContext) -> Iterator[None]:
    with reporting_to(every_tenth(lambda p: context.log.info(f"progress: {p.line()}"))):
        yield
