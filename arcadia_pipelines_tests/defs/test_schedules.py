"""Every schedule says what it does; the hourly inventory skips, saying why, without a token."""

import dagster as dg
import pytest

from arcadia_pipelines.definitions import defs

SCHEDULES = ["monthly_invoicing_schedule", "do_inventory_hourly", "cloud_costs_daily"]


@pytest.mark.parametrize("name", SCHEDULES)
def test_every_schedule_has_a_description_and_runs_by_default(name):
    schedule = defs.resolve_schedule_def(name)
    assert schedule.description and len(schedule.description) > 20
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def tick(monkeypatch, token):
    if token is None:
        monkeypatch.delenv("DIGITALOCEAN_TOKEN", raising=False)
    else:
        monkeypatch.setenv("DIGITALOCEAN_TOKEN", token)
    schedule = defs.resolve_schedule_def("do_inventory_hourly")
    with dg.build_schedule_context() as context:
        return schedule.evaluate_tick(context)


@pytest.mark.parametrize("token", [None, ""])
def test_the_hourly_inventory_skips_naming_the_variable_without_a_token(monkeypatch, token):
    result = tick(monkeypatch, token)
    assert result.run_requests == []
    assert result.skip_message.startswith("DIGITALOCEAN_TOKEN is not set")


def test_the_hourly_inventory_requests_a_run_with_a_token_and_never_shows_it(monkeypatch):
    result = tick(monkeypatch, "dop_v1_secret")
    [request] = result.run_requests
    assert request.job_name in (None, "do_inventory_job")
    assert "dop_v1_secret" not in repr(request)
