"""Launching `monthly_invoicing` for one month through Dagster, as the CLI and the demo do."""

from __future__ import annotations

import dagster as dg

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.defs.partitions import monthly_partitions
from arcadia_pipelines.error_lines import error_info_line, one_line

FORCE_CONFIG = {"ops": {"tenant_invoices": {"config": {"force": True}}}}
# The terminal gets our one-line summary; every event still goes to the instance's event log.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class PeriodNotBillable(ValueError):
    pass


def partition_key(period: Period) -> str:
    """The month's partition key; refused while the month is still running."""
    keys = monthly_partitions.get_partition_keys()
    if period.key not in keys:
        why = ("the month has not ended yet; roll it up once it has" if period.key > keys[-1]
               else f"partitions start at {keys[0]}; pick a later month")
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
    """Why the run failed, in one line with secrets masked: a step's own description (e.g. the
    tenants with bad input), else the error our code raised in a step or while starting the
    run's resources, never only Dagster's "Error occurred while executing op" wrapper."""
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data and data.user_failure_data.description:
                return one_line(data.user_failure_data.description)
            return f"step {event.step_key}: {error_info_line(data.error) if data.error else 'failed'}"
        if event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE and event.event_specific_data.error:
            error = event.event_specific_data.error
            return f"could not start its resources: {error_info_line(error, _resource_hint(result))}"
    for event in result.all_events:
        if event.is_run_failure and event.event_specific_data and event.event_specific_data.error:
            return error_info_line(event.event_specific_data.error)
    return "run failed; see its event log in the Dagster UI"


def _resource_hint(result: dg.ExecuteInProcessResult) -> str | None:
    """Which setting to check when a resource could not start (the warehouse is the usual one)."""
    for event in result.all_events:
        error = event.is_run_failure and event.event_specific_data and event.event_specific_data.error
        if error and "ResourceDefinition warehouse" in error.message:
            return "check that the warehouse in ARCADIA_WAREHOUSE_URL is up and the URL is right"
    return None
