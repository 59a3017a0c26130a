"""`do_inventory` through Dagster: the hourly job, its metadata, failures, freshness check and schedule."""

from datetime import datetime, timedelta, timezone

import dagster as dg

from arcadia_pipelines.defs.digitalocean import assets, checks
from arcadia_pipelines.defs.digitalocean.jobs import do_inventory_hourly
from arcadia_pipelines.defs.digitalocean.resource import DigitalOceanResource
from arcadia_pipelines.defs.resources import WarehouseResource
from arcadia_pipelines.monthend.inventory import observe_inventory
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

from .runs import failure_message, materialization, run_inventory

CREATED = at(2026, 3, 20)


def evaluations(result):
    return [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]


def test_the_hourly_job_observes_and_reports_what_changed(engine, do_server, instance):
    World(engine).tenant("acme").deployment("dep-acme", "acme", do_tag="arcadia-acme")
    do_server.add_droplet(id=1, tags=["arcadia-acme"], created_at=CREATED)
    do_server.add_droplet(id=2, size_slug="gpu-h100x1-80gb", tags=["arcadia-acme"], created_at=CREATED)
    do_server.add_volume(id="vol-a", size_gigabytes=100, created_at=CREATED)

    first = run_inventory(instance)
    assert first.success
    meta = materialization(first, "do_inventory")
    assert {k: meta[k] for k in ("dagster/row_count", "seen", "opened", "closed", "resized", "retagged",
                                 "untagged", "droplets", "gpu_droplets", "volumes")} == {
        "dagster/row_count": 3, "seen": 3, "opened": 3, "closed": 0, "resized": 0, "retagged": 0,
        "untagged": 1, "droplets": 2, "gpu_droplets": 1, "volumes": 1}
    assert [e.passed for e in evaluations(first)] == [True]

    do_server.resize_droplet(1, "s-2vcpu-4gb")
    do_server.retag_droplet(2, ["arcadia-acme", "arcadia-bolt"])
    do_server.remove_volume("vol-a")
    World(engine).tenant("bolt").deployment("dep-bolt", "bolt", do_tag="arcadia-bolt")
    second = run_inventory(instance)
    meta = materialization(second, "do_inventory")
    assert (meta["resized"], meta["retagged"], meta["closed"], meta["opened"], meta["ambiguous"]) == (
        1, 1, 3, 2, "droplet 2 (dep-acme, dep-bolt)")
    assert meta["ambiguous_rule"] == "ambiguous tags: attributed to no deployment"
    assert any("ambiguous tags: attributed to no deployment: droplet 2" in e.user_message
               for e in instance.all_logs(second.run_id))
    assert len(rows(engine, t.metered_resources)) == 5


def test_a_rejected_token_fails_the_run_with_a_clear_message_and_no_token(engine, do_server, instance, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", "dop_v1_not-the-right-one")
    result = run_inventory(instance)
    assert not result.success
    message = failure_message(result)
    assert message == ("could not list the DigitalOcean inventory: DigitalOcean rejected the token "
                       "(401 Unauthorized); check DIGITALOCEAN_TOKEN; nothing applied")
    assert rows(engine, t.metered_resources) == [] and rows(engine, t.do_inventory_observations) == []


def test_server_errors_and_rate_limits_are_retried_inside_the_run(engine, do_server, instance):
    do_server.add_droplet(id=1, created_at=CREATED)
    do_server.script_failures("/v2/droplets", [429, 500])
    result = run_inventory(instance)
    assert result.success
    assert materialization(result, "do_inventory")["seen"] == 1


def _run_freshness_check(instance):
    job = dg.define_asset_job("fresh", selection=dg.AssetSelection.checks(checks.inventory_is_fresh))
    defs = dg.Definitions(assets=[assets.do_inventory], asset_checks=[checks.inventory_is_fresh], jobs=[job],
                          resources={"warehouse": WarehouseResource(),
                                     "digitalocean": DigitalOceanResource(token=dg.EnvVar("DIGITALOCEAN_TOKEN"))})
    [evaluation] = evaluations(defs.resolve_job_def("fresh").execute_in_process(instance=instance))
    return evaluation


def test_the_freshness_check_warns_when_the_last_observation_is_over_two_hours_old(engine, instance):
    never = _run_freshness_check(instance)
    assert (never.passed, never.severity) == (False, dg.AssetCheckSeverity.WARN)

    now = datetime.now(timezone.utc)
    observe_inventory(engine, [], now - timedelta(hours=2, minutes=5))
    stale = _run_freshness_check(instance)
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN
    assert stale.metadata["age_minutes"].value >= 125

    observe_inventory(engine, [], now - timedelta(minutes=1))
    assert _run_freshness_check(instance).passed


def test_the_hourly_schedule_runs_the_inventory_at_minute_five():
    assert (do_inventory_hourly.cron_schedule, do_inventory_hourly.execution_timezone) == ("5 * * * *", "UTC")
    assert do_inventory_hourly.default_status == dg.DefaultScheduleStatus.RUNNING
    assert do_inventory_hourly.job_name == "do_inventory_job"
