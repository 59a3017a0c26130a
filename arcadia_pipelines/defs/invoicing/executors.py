"""The executor of monthly_invoicing's steps, chosen by ARCADIA_STEP_EXECUTOR when the code
location loads (deploy/EXECUTORS.md):

- unset or `multiprocess`: Dagster's multi_or_in_process_executor with `in_process` as its
  default, so a run launched without run config (`dg launch`, which passes none and ignores the
  job's per-partition default config) runs in the run's own process, the fastest for a month of
  up to tens of thousands of tenants; `multiprocess` in the run config runs a larger month's
  tenant shards in parallel processes;
- `k8s`: dagster-k8s's k8s_job_executor, each step a Kubernetes Job;
- `celery`: dagster-celery's celery_executor, each step a Celery task (celery_steps.py).
"""

import os

import dagster as dg
from dagster._core.definitions.executor_definition import IN_PROC_CONFIG, MULTI_PROC_CONFIG

STEP_EXECUTOR_ENV = "ARCADIA_STEP_EXECUTOR"
_PACKAGES = {"k8s": "dagster-k8s", "celery": "dagster-celery"}

# Dagster's own executor and its name (shard_steps.py reads it), only the default mode differs.
in_process_unless_asked = dg.ExecutorDefinition(
    name=dg.multi_or_in_process_executor.name,
    config_schema=dg.Field(dg.Selector({"multiprocess": MULTI_PROC_CONFIG, "in_process": IN_PROC_CONFIG}),
                           default_value={"in_process": {}}),
    requirements=dg.multi_or_in_process_executor.get_requirements,
    executor_creation_fn=dg.multi_or_in_process_executor.executor_creation_fn,
    description="Steps in the run's process unless the run config asks for `multiprocess`.")


def _k8s() -> dg.ExecutorDefinition:
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor


def _celery() -> dg.ExecutorDefinition:
    """dagster-celery's executor (same name and run config), its broker from
    ARCADIA_CELERY_BROKER_URL and a dead worker's step re-queued (arcadia_pipelines/celery_steps.py)."""
    from dagster_celery.executor import CELERY_CONFIG

    from arcadia_pipelines.celery_steps import step_executor

    return dg.ExecutorDefinition(
        name="celery", config_schema=CELERY_CONFIG, requirements=dg.multiple_process_executor_requirements(),
        executor_creation_fn=lambda init_context: step_executor(init_context.executor_config),
        description="Each step a Celery task on the workers of ARCADIA_CELERY_BROKER_URL.")


def step_executor() -> tuple[dg.ExecutorDefinition, dict | None]:
    """The executor and the job's default run config for it."""
    name = os.environ.get(STEP_EXECUTOR_ENV, "").strip() or "multiprocess"
    if name == "multiprocess":
        return in_process_unless_asked, {"execution": {"config": {"in_process": {}}}}
    if name not in _PACKAGES:
        raise ValueError(f"{STEP_EXECUTOR_ENV}={name!r}: expected multiprocess, k8s or celery")
    try:
        return (_k8s if name == "k8s" else _celery)(), None
    except ImportError:
        package = _PACKAGES[name]
        raise ValueError(f"{STEP_EXECUTOR_ENV}={name} needs {package}: pip install '{package}==0.29.*'") from None
