"""monthly_invoicing's steps as Celery tasks (ARCADIA_STEP_EXECUTOR=celery): the executor the run
uses and the Celery app its workers run, built from one set of settings so the two cannot drift.

Workers: `celery -A arcadia_pipelines.celery_steps worker --pool=solo` (or
`dagster-celery worker start -A arcadia_pipelines.celery_steps`), one or more per host, with the
same ARCADIA_CELERY_BROKER_URL, DAGSTER_HOME and ARCADIA_WAREHOUSE_URL as the run.

A task is acknowledged only once its step has finished (`task_acks_late`), so the step of a
worker killed mid-way (SIGKILL, out of memory, host lost) goes back to the queue and runs again
on another worker: a shard step replaces exactly its own tenants' rows in one transaction, so
running it again is safe, and the run never ends SUCCESS with a shard's tenants missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dagster._core.execution.retries import RetryMode
from dagster_celery.defaults import broker_url as DAGSTER_CELERY_DEFAULT_BROKER
from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

BROKER_ENV = "ARCADIA_CELERY_BROKER_URL"
QUEUE_ENV = "ARCADIA_CELERY_QUEUE"  # the queue steps go to and workers take them from (`-Q`)
RESULT_BACKEND = "rpc://"  # results come back over the broker: no other service to run
# A step is re-queued, not lost, when its worker dies; workers take one task at a time.
REQUEUE_ON_WORKER_LOSS = {"task_acks_late": True, "task_reject_on_worker_lost": True,
                          "worker_prefetch_multiplier": 1}
# A solo worker runs its step in its only thread and cannot answer RabbitMQ's heartbeats meanwhile:
# with them on (60 s), a step longer than about two minutes cost the worker its connection, and
# RabbitMQ gave the step, still running, to another worker as well (measured at 100k tenants). A
# dead worker's step is re-queued all the same: its socket closes, or for a lost host TCP keepalive
# gives up (about 2.5 min with py-amqp's defaults).
NO_BROKER_HEARTBEAT = {"broker_heartbeat": 0}


def step_executor(config: Mapping[str, Any]) -> CeleryExecutor:
    """dagster-celery's executor from its run config (all optional): the broker defaults to
    $ARCADIA_CELERY_BROKER_URL, the Celery settings to REQUEUE_ON_WORKER_LOSS and NO_BROKER_HEARTBEAT,
    the queue to $ARCADIA_CELERY_QUEUE (else dagster-celery's `dagster`)."""
    queue = {"task_default_queue": os.environ[QUEUE_ENV]} if os.environ.get(QUEUE_ENV) else {}
    return CeleryExecutor(
        broker=config.get("broker") or os.environ.get(BROKER_ENV) or DAGSTER_CELERY_DEFAULT_BROKER,
        backend=config.get("backend") or RESULT_BACKEND,
        include=config.get("include"),
        config_source={**REQUEUE_ON_WORKER_LOSS, **NO_BROKER_HEARTBEAT, **queue,
                       **(config.get("config_source") or {})},
        retries=RetryMode.from_config(config.get("retries") or {"enabled": {}}),
    )


# The workers' app (`celery -A arcadia_pipelines.celery_steps worker`): dagster-celery's step task.
app = make_app(step_executor({}).app_args())
execute_plan = create_task(app)
# A worker imports these before it takes a task (Celery's `imports`): the code location with its
# repository resolved and the instance's storage modules, as the multiprocess executor's forkserver
# preloads them; otherwise the first step each worker runs waits about 1.5 s for them.
app.conf.imports = ("arcadia_pipelines.step_processes",)
