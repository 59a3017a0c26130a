"""The API load benchmark, at a tiny size: it seeds, serves and drives the API on each backend and
prints the figures a reader compares with the goals, with no failed request."""

import os
import re
import subprocess
import sys
from pathlib import Path

from arcadia_pipelines_tests.conftest import PG_ADMIN_URL
from benchmarks.api_load import KINDS, percentile

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_load_prints_latencies_per_route_and_no_errors(pg_admin):  # PostgreSQL reachable
    run = subprocess.run([sys.executable, "-m", "benchmarks.api_load", "--tenants", "4", "--requests", "60",
                          "--warmup", "10", "--clients", "4", "--workers", "2", "--seconds", "60"],
                         cwd=ROOT, env={**os.environ, "ARCADIA_BENCH_PG_URL": PG_ADMIN_URL}, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = run.stdout.split("\n\n")[-1]
    for backend in ("sqlite", "postgresql"):
        for kind in (*KINDS, "all"):
            row = re.search(rf"^\| {backend} \| {kind} \| (\d+) \| (\d+) \| (\d+) \| (\S+) \| (\d+) \|$", summary, re.M)
            assert row, f"no {backend} {kind} row in:\n{summary}"
            assert row[5] == "0" and int(row[2]) <= int(row[3])
        assert re.search(rf"^\| {backend} \| all \| 60 \| \d+ \| \d+ \| \d+ \| 0 \|$", summary, re.M)
    assert summary.rstrip().endswith("errors: 0")


def test_percentiles_are_nearest_rank():
    values = [i / 1000 for i in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (0.05, 0.099, 0.1)
    assert percentile([0.2], 99) == 0.2
