"""Launching `monthly_invoicing` for one month through Dagster, as the CLI and the demo do."""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.defs.partitions import monthly_partitions
from arcadia_pipelines.failures.lines import error_info_line, one_line

INVOICING_ASSETS = ("deployment_usage", "deployment_quotes", "tenant_invoices")
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


def _reconstructable_job() -> ReconstructableJob:
    """monthly_invoicing as each step's process loads it: from the code location's Definitions,
    with its asset checks (a job rebuilt from a function returning it would lack them)."""
    return ReconstructableRepository.for_module("arcadia_pipelines.definitions", "defs").get_reconstructable_job(
        "monthly_invoicing")


def parallel_steps(max_concurrent: int) -> dict:
    """Dagster's multiprocess executor config: step processes forked from a server that has the
    code location and the instance's modules loaded already (`step_processes`), so a step starts
    in a fraction of a second, not seconds."""
    return {"max_concurrent": max_concurrent,
            "start_method": {"forkserver": {"preload_modules": ["arcadia_pipelines.step_processes"]}}}


def run_config(force: bool = False, shards: int | None = None) -> dict:
    """`force` recomputes drafts; `shards` splits each invoicing stage into that many steps."""
    ops = {asset: {"config": {"shards": shards}} for asset in INVOICING_ASSETS} if shards else {}
    if force:
        ops.setdefault("tenant_invoices", {"config": {}})["config"]["force"] = True
    return {**QUIET_CONSOLE, **({"ops": ops} if ops else {})}


def run_monthly_invoicing(period: Period, instance: dg.DagsterInstance, force: bool = False,
                          shards: int = 1) -> dg.ExecuteInProcessResult | dg.JobExecutionResult:
    """One run on `instance`, so it shows in the Dagster UI like a scheduled one: in this process,
    or with `shards` > 1 as that many tenant shards per stage in parallel processes (Dagster's
    multiprocess executor, or the workers of ARCADIA_STEP_EXECUTOR; the instance must be a
    persistent one)."""
    key = partition_key(period)
    if shards == 1:
        from arcadia_pipelines.definitions import defs

        return defs.resolve_job_def("monthly_invoicing").execute_in_process(
            partition_key=key, instance=instance, run_config=run_config(force), raise_on_error=False)
    from arcadia_pipelines.defs.invoicing.jobs import STEP_EXECUTOR
    from arcadia_pipelines.defs.invoicing.executors import in_process_unless_asked

    config = run_config(force, shards)
    if STEP_EXECUTOR is in_process_unless_asked:
        config |= {"execution": {"config": {"multiprocess": parallel_steps(shards)}}}
    return dg.execute_job(_reconstructable_job(), instance, run_config=config,
                          tags={"dagster/partition": key}, raise_on_error=False)


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
