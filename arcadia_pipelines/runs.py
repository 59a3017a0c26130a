"""Launching `monthly_invoicing` for one month through Dagster, as the CLI and the demo do."""

from __future__ import annotations

import dagster as dg

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.defs.partitions import monthly_partitions

FORCE_CONFIG = {"ops": {"tenant_invoices": {"config": {"force": True}}}}
# The terminal gets our one-line summary; every event still goes to the instance's event log.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class PeriodNotBillable(ValueError):
    pass


def partition_key(period: Period) -> str:
    """The month's partition key; refused while the month is still running."""
    keys = monthly_partitions.get_partition_keys()
    if period.key not in keys:
        why = ("the month has not ended yet" if period.key > keys[-1]
               else f"partitions start at {keys[0]}")
        raise PeriodNotBillable(f"no partition {period.key} for {period.label}: {why}")
    return period.key


def run_monthly_invoicing(period: Period, instance: dg.DagsterInstance,
                          force: bool = False) -> dg.ExecuteInProcessResult:
    """One run on `instance`, so it shows in the Dagster UI like a scheduled one."""
    from arcadia_pipelines.definitions import defs

    job = defs.resolve_job_def("monthly_invoicing")
    return job.execute_in_process(partition_key=partition_key(period), instance=instance,
                                  run_config={**QUIET_CONSOLE, **(FORCE_CONFIG if force else {})},
                                  raise_on_error=False)


def failure_reason(result: dg.ExecuteInProcessResult) -> str:
    """The first step failure's description, for a one-line CLI error."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.user_failure_data:
            return event.step_failure_data.user_failure_data.description or "step failed"
        if event.is_step_failure:
            return event.step_failure_data.error.message.strip()
    return "run failed"
