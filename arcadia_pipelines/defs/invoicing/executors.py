"""The executor of monthly_invoicing's steps, chosen by ARCADIA_STEP_EXECUTOR when the code
location loads (deploy/EXECUTORS.md):

- unset or `multiprocess`: Dagster's multi_or_in_process_executor, in the run's own process
  unless the run config asks for `multiprocess` (the fastest for a month of up to tens of
  thousands of tenants; a larger one runs its tenant shards in parallel processes);
- `k8s`: dagster-k8s's k8s_job_executor, each step a Kubernetes Job;
- `celery`: dagster-celery's celery_executor, each step a Celery task.
"""

import importlib
import os

import dagster as dg

STEP_EXECUTOR_ENV = "ARCADIA_STEP_EXECUTOR"
_PRODUCTION = {"k8s": ("dagster_k8s", "k8s_job_executor", "dagster-k8s"),
               "celery": ("dagster_celery", "celery_executor", "dagster-celery")}


def step_executor() -> tuple[dg.ExecutorDefinition, dict | None]:
    """The executor and the job's default run config for it."""
    name = os.environ.get(STEP_EXECUTOR_ENV, "").strip() or "multiprocess"
    if name == "multiprocess":
        return dg.multi_or_in_process_executor, {"execution": {"config": {"in_process": {}}}}
    if name not in _PRODUCTION:
        raise ValueError(f"{STEP_EXECUTOR_ENV}={name!r}: expected multiprocess, k8s or celery")
    module, executor, package = _PRODUCTION[name]
    try:
        return getattr(importlib.import_module(module), executor), None
    except ImportError:
        raise ValueError(f"{STEP_EXECUTOR_ENV}={name} needs {package}: pip install '{package}==0.29.*'") from None
