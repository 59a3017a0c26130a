"""`arcadia-pipelines explain INVOICE_ID` as a subprocess, on the worked example."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows
from arcadia_pipelines_tests.monthend.rollup import rollup

pytestmark = pytest.mark.slow  # runs the CLI or a server as a subprocess

EXE = str(Path(sys.executable).with_name("arcadia-pipelines"))


@pytest.fixture
def explain(tmp_path, warehouse_url):
    env = {**os.environ, "ARCADIA_WAREHOUSE_URL": warehouse_url, "DAGSTER_HOME": str(tmp_path)}

    def run(*args):
        return subprocess.run([EXE, "explain", *args], env=env, capture_output=True, text=True, timeout=120)
    return run


def test_it_prints_each_line_with_the_droplets_behind_the_overage(engine, explain):
    World(engine).worked_example()
    rollup(engine)
    [invoice] = rows(engine, t.tenant_invoices)
    p = explain(str(invoice["id"]))
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    assert out[0] == f"Invoice {invoice['id']} (draft): pilot, 2026-04, AUD"
    assert [line.split()[-1] for line in out[1:3]] == ["50.00", "7.50"]
    assert out[3] == "  Overage: droplet_hours (2160 used, 1488 included)  672 h x 1 cent = 6.72"
    assert out[4] == "    3 droplets x 720 h = 2160: pilot-droplet-0, pilot-droplet-1, pilot-droplet-2"
    assert out[5].split() == ["GST", "10%", "6.42"]
    assert out[6] == "  subtotal 64.22 + tax 6.42 = total AUD 70.64"

    data = json.loads(explain(str(invoice["id"]), "--json").stdout)
    [overage] = [ln for ln in data["lines"] if ln["kind"] == "overage"]
    assert overage["summary"]["usage"] == "2160" and len(overage["evidence"]) == 3
    assert data["invoice"]["total_cents"] == 7064


def test_many_intervals_are_grouped_by_size_and_hours(engine, explain):
    w = World(engine)
    w.plan("studio", 0, meters=[("droplet_hours", "droplet", 0, "0.5"), ("volume_gb_hours", "volume", 0, 1)])
    w.tenant("big").deployment("d1", "big").subscription("s1", "big", "d1", "studio", at(2026, 4, 1))
    for n in range(8):
        w.resource("d1", f"r{n}", at(2026, 4, 1))
    w.resource("d1", "short", at(2026, 4, 30, 22, 30))
    w.resource("d1", "vol", at(2026, 4, 30), kind="volume", quantity=50, size_slug=None)
    rollup(engine)
    [invoice] = rows(engine, t.tenant_invoices)
    out = explain(str(invoice["id"])).stdout
    assert "  Overage: droplet_hours (5762 used, 0 included)  5762 h x 0.5 cents = 28.81" in out
    assert "    8 droplets x 720 h = 5760: r0, r1, r2, r3, r4 and 3 more" in out
    assert "    1 droplet x 2 h = 2: short" in out
    assert "    total 5762 h used, 0 included" in out
    assert "  Overage: volume_gb_hours (1200 used, 0 included)  1200 GB-h x 1 cent = 12.00" in out
    assert "    1 volume x 50 GB x 24 h = 1200: vol" in out


def test_an_unknown_invoice_is_one_line_and_a_failure(warehouse_url, explain):
    p = explain("4242")
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr == ("arcadia-pipelines explain: error: no invoice 4242 in the warehouse "
                        "(is ARCADIA_WAREHOUSE_URL the warehouse you meant?)\n")
    assert explain("abc").returncode == 2
