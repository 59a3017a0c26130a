"""Metering gaps: open intervals nobody has observed near the end of the month are reported by
`deployment_usage` (still billed as running, as the contract says)."""

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.monthend.metering_gaps import stale_open_intervals
from arcadia_pipelines_tests.builders import World, at

from .runs import run

APRIL = Period.parse("2026-04")


def gaps(engine, period=APRIL, now=at(2026, 11, 1)):
    with engine.connect() as conn:
        return [(g.resource_kind, g.resource_id, g.deployment_id) for g in stale_open_intervals(conn, period, now)]


def test_open_intervals_last_seen_over_two_hours_before_the_month_ended_are_gaps(engine):
    w = World(engine).tenant("acme").deployment("dep-acme", "acme")
    w.resource("dep-acme", "seen-late", at(2026, 3, 1), last_seen_at=at(2026, 4, 30, 22, 30))
    w.resource("dep-acme", "lost", at(2026, 3, 1), last_seen_at=at(2026, 4, 30, 21, 59))
    w.resource("dep-acme", "vol-lost", at(2026, 3, 1), kind="volume", last_seen_at=at(2026, 4, 2))
    w.resource("dep-acme", "ended", at(2026, 3, 1), ended_at=at(2026, 4, 2))
    w.resource(None, "untagged", at(2026, 3, 1), last_seen_at=at(2026, 4, 2))
    w.resource("dep-acme", "from-may", at(2026, 5, 1), last_seen_at=at(2026, 5, 1))
    assert gaps(engine) == [("volume", "vol-lost", "dep-acme"), ("droplet", "lost", "dep-acme")]
    # While a month is still running, "now" is the edge that matters.
    assert gaps(engine, Period.parse("2026-05"), now=at(2026, 5, 1, 1)) == [
        ("volume", "vol-lost", "dep-acme"), ("droplet", "lost", "dep-acme"), ("droplet", "seen-late", "dep-acme")]


def test_deployment_usage_reports_the_gaps_and_still_bills_them(engine, instance):
    w = World(engine).worked_example()
    assert run(instance).success
    [usage] = run(instance).asset_materializations_for_node("deployment_usage")
    assert usage.metadata["metering_gaps"].value == 0

    w.resource("dep-pilot", "lost-droplet", at(2026, 4, 1), last_seen_at=at(2026, 4, 10, 6))
    result = run(instance)
    [usage] = result.asset_materializations_for_node("deployment_usage")
    assert usage.metadata["metering_gaps"].value == 1
    warnings = [e.user_message for e in instance.all_logs(result.run_id) if "not observed" in e.user_message]
    assert len(warnings) == 1
    assert "droplet lost-droplet (dep-pilot) last seen 2026-04-10 06:00 UTC" in warnings[0]
