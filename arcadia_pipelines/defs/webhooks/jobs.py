"""`deliver_webhooks`: one delivery pass (webhooks/delivery.py) and what it leaves behind, per
endpoint as numeric metadata (last delivered event, lag, failures in the last day, parked events)
and the parked events named with why."""

from datetime import timedelta

import dagster as dg

from ..metadata import markdown_table
from ..resources import WarehouseResource

# A run ends after this much even while events keep coming; the sensor launches the next.
RUN_BUDGET = timedelta(minutes=10)


def endpoint_metadata(statuses: list[dict]) -> dict:
    metadata = {}
    for s in statuses:
        prefix = f"endpoint_{s['id']}"
        metadata |= {f"{prefix}/last_delivered_event": s["last_delivered_event_id"] or 0,
                     f"{prefix}/lag_events": s["lag_events"], f"{prefix}/lag_seconds": s["lag_seconds"],
                     f"{prefix}/failures_last_day": s["failures_last_day"], f"{prefix}/parked": s["parked"]}
    parked = [(s["id"], p["event_id"], p["error"]) for s in statuses for p in s["parked_events"]]
    metadata["parked_events"] = markdown_table(["endpoint", "event", "why"], parked)
    metadata["parked"] = len(parked)
    return metadata


@dg.op(out=dg.Out(dg.Nothing), description="Sends every due event to its endpoints, in event order per endpoint.")
def deliver_webhook_events(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    # here, not at the top: loading the definitions leaves the HTTP and API libraries unimported
    from arcadia_pipelines.webhooks.delivery import deliver_pass, utc_now
    from arcadia_pipelines.webhooks.secret_box import SecretKeyError
    from arcadia_pipelines.webhooks.status import endpoint_status

    try:
        result = deliver_pass(warehouse.engine, budget=RUN_BUDGET)
    except SecretKeyError as e:
        raise dg.Failure(description=str(e)) from None
    with warehouse.engine.connect() as conn:
        statuses = endpoint_status(conn, utc_now())
    if result.busy:
        context.log.info("another delivery pass is running; this run sent nothing")
    for endpoint, event, why in result.parked:
        context.log.warning(f"endpoint {endpoint}: event {event} parked as dead after the attempt limit ({why}); "
                            f"`arcadia-pipelines webhooks redeliver --endpoint {endpoint}` sends it again")
    context.add_output_metadata({"delivered": result.delivered, "failed_attempts": result.failed,
                                 "parked_now": len(result.parked), **endpoint_metadata(statuses)})


@dg.job(description="Delivers the events feed to the webhook endpoints (launched by webhook_delivery_sensor).")
def deliver_webhooks():
    deliver_webhook_events()
