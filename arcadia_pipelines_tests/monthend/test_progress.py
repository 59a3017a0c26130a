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


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_bar_is_redrawn_in_place_each_batch_and_ends_its_line():
    screen = _Terminal()
    stage = StageProgress("invoices", "2026-04", 4, (terminal(screen, after_s=0),))
    for _ in range(3):
        stage.advance(1)
    stage.finish()
    frames = screen.getvalue().split("\r")[1:]
    assert len(frames) == 4 and all("\n" not in f for f in frames[:-1]) and frames[-1].endswith("\n")
    assert frames[1].startswith("[" + "#" * 15 + "." * 15 + "] 2026-04 invoices: 2/4 tenants (50%)")
    assert frames[-1].startswith("[" + "#" * 30 + "] 2026-04 invoices: 4/4 tenants (100%)")


def test_a_stage_shorter_than_the_threshold_shows_nothing():
    for stream in (io.StringIO(), _Terminal()):
        stage = StageProgress("usage", "2026-04", 10, (terminal(stream, after_s=60),))
        stage.advance(5)
        stage.finish()
        assert stream.getvalue() == ""


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
