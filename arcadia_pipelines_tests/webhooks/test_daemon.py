"""The real `dagster-daemon`: the sensor notices undelivered events and launches `deliver_webhooks`,
whose run delivers them; nothing in DAGSTER_HOME (storage, logs, run records) holds the secret."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
import pytest

from arcadia_pipelines.webhooks.endpoints import add_endpoint
from arcadia_pipelines_tests.defs.test_run_monitoring import start, stop, wait_for

from .scenario import activity, month_of_drafts, pushed_event_ids

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def test_the_daemons_sensor_launches_a_run_that_delivers_every_event(engine, warehouse_url, receiver, tmp_path):
    home = tmp_path / "dagster_home"
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "ARCADIA_WAREHOUSE_URL": warehouse_url}
    _, secret = add_endpoint(engine, receiver.url)
    list(activity(engine, month_of_drafts(engine, 5)))
    expected = pushed_event_ids(engine)

    daemon = start([BIN / "dagster-daemon", "run", "-m", "arcadia_pipelines.definitions"], env)
    try:
        wait_for(lambda: sorted(set(receiver.ids())) == expected, 240, "the sensor's run to deliver every event")
    finally:
        stop(daemon)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(dg.RunsFilter(job_name="deliver_webhooks"))
    assert runs and all(r.tags.get("dagster/sensor_name") == "webhook_delivery_sensor" and r.tags.get("dagster/run_key")
                        for r in runs)
    assert receiver.ids() == expected
    assert not [p for p in home.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
