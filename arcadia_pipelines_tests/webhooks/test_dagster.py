"""The sensor notices undelivered events and launches `deliver_webhooks` on a real Dagster
instance; the run delivers them and says per endpoint what is delivered, late or parked (and why);
no secret reaches the instance, its logs or the run's metadata."""

from __future__ import annotations

import random
from pathlib import Path

import dagster as dg
import pytest

from arcadia_pipelines.definitions import defs
from arcadia_pipelines.defs.resources import WarehouseResource
from arcadia_pipelines.webhooks.delivery import RetryPolicy
from arcadia_pipelines.webhooks.endpoints import add_endpoint

from .clock import FakeClock, drain
from .scenario import activity, drafts, month_of_drafts, pushed_event_ids

pytestmark = pytest.mark.slow


def tick(instance):
    sensor = defs.resolve_sensor_def("webhook_delivery_sensor")
    with dg.build_sensor_context(instance=instance, resources={"warehouse": WarehouseResource()}) as context:
        return sensor.evaluate_tick(context)


def files_containing(folder: Path, text: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_the_sensor_launches_a_run_that_delivers_and_names_parked_events_without_a_secret_anywhere(
        engine, warehouse_url, receiver, monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("ARCADIA_WAREHOUSE_URL", warehouse_url)
    home = Path(tmp_path / "dagster_home")
    live_id, live_secret = add_endpoint(engine, receiver.url)
    dead_id, dead_secret = add_endpoint(engine, "http://127.0.0.1:9/nobody-listens", "invoice.issued")
    list(activity(engine, month_of_drafts(engine, 3)))
    drain(engine, FakeClock(), RetryPolicy(max_attempts=2), random.Random(0))  # parks the dead endpoint's events
    receiver.requests.clear()
    sent_before = pushed_event_ids(engine)
    list(activity(engine, drafts(engine, "may1", "may2")))  # new events the sensor must notice
    new = pushed_event_ids(engine)[len(sent_before):]

    with dg.instance_for_test(temp_dir=str(home)) as instance:
        first = tick(instance)
        [request] = first.run_requests
        assert request.run_key and request.job_name in (None, "deliver_webhooks")
        again = tick(instance)  # the same state asks for the same run, which the daemon de-duplicates
        assert [r.run_key for r in again.run_requests] == [request.run_key]
        result = defs.resolve_job_def("deliver_webhooks").execute_in_process(
            instance=instance, tags={**request.tags, "dagster/run_key": request.run_key}, raise_on_error=False)
        assert result.success
        after = tick(instance)
        assert after.run_requests == [] and "no webhook event is due" in after.skip_message

        [materialized] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
        metadata = {k: v.value for k, v in materialized.event_specific_data.metadata.items()}
        delivered = pushed_event_ids(engine)
        assert metadata[f"endpoint_{live_id}/last_delivered_event"] == delivered[-1]
        assert metadata[f"endpoint_{live_id}/lag_events"] == 0
        assert metadata[f"endpoint_{dead_id}/parked"] == metadata["parked"] > 0
        assert metadata[f"endpoint_{dead_id}/failures_last_day"] >= 2 * metadata["parked"]
        assert "connection refused" in metadata["parked_events"] and str(dead_id) in metadata["parked_events"]
        assert receiver.ids() == new
        logs = "\n".join(str(e) for e in instance.all_logs(result.run_id))
        run_record = repr(instance.get_run_by_id(result.run_id))

    out, err = capfd.readouterr()
    for secret in (live_secret, dead_secret):
        assert secret not in out + err + logs + run_record + repr(metadata)
        assert files_containing(home, secret) == []
        assert files_containing(home, secret[6:]) == []

