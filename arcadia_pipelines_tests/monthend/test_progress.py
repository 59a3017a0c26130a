"""Progress on long work: `rollup` not on a terminal prints a plain line per stage about every
10% of its tenants (tenants done of total, rate, time left), and the run's Dagster log has the
same lines, so the UI shows where a month is."""

import io
import os
import re
import subprocess
import sys

import dagster as dg
import pytest

from arcadia_pipelines.monthend.progress import StageProgress, every_tenth, terminal
from benchmarks.generate import generate

EXE = os.path.join(os.path.dirname(sys.executable), "arcadia-pipelines")
LINE = re.compile(r"^2026-04 (usage|quotes|invoices): ([\d,]+)/2,500 tenants \((\d+)%\), [\d,]+/s, "
                  r"(?:[\d,]+ s left|done in [\d.,]+ s)$")


def test_a_stage_reports_about_every_tenth_of_its_tenants():
    lines = io.StringIO()
    stage = StageProgress("quotes", "2026-04", 1000, (terminal(lines, after_s=0),))
    for _ in range(100):
        stage.advance(10)
    stage.finish()
    reported = lines.getvalue().splitlines()
    assert [int(line.split("(")[1].split("%")[0]) for line in reported] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert reported[0].startswith("2026-04 quotes: 100/1,000 tenants (10%), ") and reported[0].endswith(" s left")
    assert "done in" in reported[-1]


def test_every_tenth_reports_each_stage_of_each_month_to_its_end():
    seen = []
    listener = every_tenth(seen.append)
    for month in ("2026-03", "2026-04"):
        stage = StageProgress("usage", month, 3, (listener,))
        stage.advance(1)
        stage.finish()
    assert [(p.month, p.done) for p in seen] == [("2026-03", 1), ("2026-03", 3), ("2026-04", 1), ("2026-04", 3)]


@pytest.mark.slow
def test_rollup_off_a_terminal_prints_progress_lines_and_the_run_log_has_them(warehouse_url, tmp_path):
    generate(warehouse_url, 2500)
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": warehouse_url,
           "ARCADIA_PROGRESS_AFTER_S": "0"}
    p = subprocess.run([EXE, "rollup", "--period", "2026-04"], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "2500 created" in p.stdout

    lines = p.stderr.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    quotes = [line for line in lines if " quotes: " in line]   # batches of 1,000 tenants
    assert [line.split(" tenants")[0] for line in quotes] == [
        "2026-04 quotes: 1,000/2,500", "2026-04 quotes: 2,000/2,500", "2026-04 quotes: 2,500/2,500"]
    assert {line.split(":")[0] for line in lines} == {"2026-04 usage", "2026-04 quotes", "2026-04 invoices"}

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        [run] = instance.get_runs()
        logged = [e.user_message.removeprefix("progress: ") for e in instance.all_logs(run.run_id)
                  if e.user_message.startswith("progress: ")]
    assert [line.split(" tenants")[0] for line in logged if " quotes: " in line] == [
        line.split(" tenants")[0] for line in quotes]
    assert all(LINE.match(line) for line in logged), logged
