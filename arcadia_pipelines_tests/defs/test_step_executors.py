"""ARCADIA_STEP_EXECUTOR picks the executor of monthly_invoicing's steps when the code location
loads: in process by default, Kubernetes Jobs with `k8s`; a wrong value is one clear line."""

import os
import subprocess
import sys

SHOW = ("from arcadia_pipelines.definitions import defs; job = defs.resolve_job_def('monthly_invoicing'); "
        "print(job.executor_def.name, job.get_run_config_for_partition_key('2026-04-01').get('execution'))")


def _load(value: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ARCADIA_STEP_EXECUTOR"}
    if value is not None:
        env["ARCADIA_STEP_EXECUTOR"] = value
    return subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, timeout=120)


def test_by_default_steps_run_in_the_runs_process_unless_the_run_config_asks_for_multiprocess():
    p = _load(None)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.split(" ", 1) == ["multi_or_in_process_executor", "{'config': {'in_process': {}}}\n"]


def test_k8s_runs_each_step_as_a_kubernetes_job():
    p = _load("k8s")
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout == "k8s None\n"


def test_an_unknown_executor_is_named_with_the_choices():
    p = _load("threads")
    assert p.returncode != 0
    assert "ARCADIA_STEP_EXECUTOR='threads': expected multiprocess, k8s or celery" in p.stderr
