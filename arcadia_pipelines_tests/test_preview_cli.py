"""`arcadia-pipelines preview` as a subprocess: both answers labelled, JSON as the API's, one-line errors."""

import json

import pytest

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.migrate import upgrade
from arcadia_pipelines_tests.builders import World, at, rows
from arcadia_pipelines_tests.test_cli import cli

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess


@pytest.fixture
def home(tmp_path, warehouse_url):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {"DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": warehouse_url}


def test_preview_prints_what_is_metered_so_far_and_the_projection_and_stores_nothing(engine, home):
    upgrade(engine)
    World(engine).worked_example().tax_rate("AU", "0.1", "GST 10%")
    out = cli("preview", "--tenant", "pilot", "--as-of", "2026-04-15T23:59:59.999999Z", env=home).stdout
    so_far, projected = out.split("projected to month end")
    assert so_far.startswith("Preview: pilot, 2026-04, as of 2026-04-15T23:59:59.999999Z (not an invoice; "
                             "nothing stored)\nmetered so far (usage through as_of)\n")
    assert "Overage" not in so_far and "  total AUD" in so_far and so_far.rstrip().endswith("63.25")
    assert "Overage: droplet_hours (2160 used, 1488 included)         672           1        6.72" in projected
    assert projected.rstrip().endswith("70.64")
    assert rows(engine, t.tenant_invoices) == [] and rows(engine, t.deployment_usage) == []

    data = json.loads(cli("preview", "--tenant", "pilot", "--as-of", "2026-04-30T23:59:59.999999Z", "--json",
                          env=home).stdout)
    assert (data["period"], data["metered_so_far"]["total_cents"], data["projected_month_end"]["total_cents"]) == (
        "2026-04", 7064, 7064)


def test_preview_errors_are_one_line_naming_the_rule(engine, home):
    upgrade(engine)
    w = World(engine).worked_example()
    w.resource("dep-pilot", "broken", at(2026, 4, 2), quantity=-3)
    bad = cli("preview", "--tenant", "pilot", "--as-of", "2026-04-10T00:00:00Z", env=home, check=False)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith(
        "arcadia-pipelines preview: error: tenant pilot, subscription sub-pilot: negative_quantity: metered droplet "
        "broken")
    unknown = cli("preview", "--tenant", "nobody", env=home, check=False)
    assert (unknown.returncode, unknown.stderr) == (1, "arcadia-pipelines preview: error: no tenant 'nobody' "
                                                       "(is ARCADIA_WAREHOUSE_URL the warehouse you meant?)\n")
    usage = cli("preview", "--tenant", "pilot", "--as-of", "mid-April", env=home, check=False)
    assert (usage.returncode, usage.stderr) == (2, "arcadia-pipelines preview: error: argument --as-of: must be an "
                                                   "ISO 8601 timestamp such as 2026-04-15T12:00:00Z, got 'mid-April'; "
                                                   "see 'arcadia-pipelines preview --help'\n")
