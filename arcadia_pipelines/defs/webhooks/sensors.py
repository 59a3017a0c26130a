"""`webhook_delivery_sensor`: launches `deliver_webhooks` when an endpoint has an event due now
(a new one, a retry whose time has come, or a redelivery), unless a delivery run is under way.
The run key names what is due (endpoint, event, attempts) and the ten minutes, so one state of the
queue launches one run, and a run that could not move it is tried again ten minutes later."""

import dagster as dg

from ..resources import WarehouseResource
from .jobs import deliver_webhooks

UNDER_WAY = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED]


@dg.sensor(job=deliver_webhooks, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Launches deliver_webhooks when a webhook endpoint has an event due.")
def webhook_delivery_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    from arcadia_pipelines.webhooks.delivery import due_now, utc_now  # not at load time (HTTP libraries)

    now = utc_now()
    with warehouse.engine.begin() as conn:  # it moves idle endpoints' cursors past other events
        due = due_now(conn, now)
    if not due:
        return dg.SkipReason("no webhook event is due")
    if context.instance.get_runs_count(dg.RunsFilter(job_name=deliver_webhooks.name, statuses=UNDER_WAY)):
        return dg.SkipReason("a deliver_webhooks run is under way")
    state = ",".join(f"{endpoint}:{event}:{attempts}" for endpoint, event, attempts in due)
    return dg.RunRequest(run_key=f"{state}@{int(now.timestamp()) // 600}",
                         tags={"webhook_endpoints_due": str(len(due))})
