"""The benchmark harness: the peak RSS of a process tree, and which goals a run can judge."""

import subprocess
import sys
import textwrap

from benchmarks.floor import Floor
from benchmarks.rollup import PeakRss, Rollup
from benchmarks.run import Case, goals


def watched_child(code: str) -> PeakRss:
    """PeakRss of a Python process that runs `code` in a child of its own, once both have ended."""
    parent = textwrap.dedent(f"""
        import subprocess, sys
        subprocess.run([sys.executable, "-c", {code!r}], check=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", parent])
    peak = PeakRss(proc.pid, every=0.01)
    proc.wait()
    peak.join()
    return peak


def test_peak_rss_is_the_largest_of_any_process_in_the_tree():
    peak = watched_child("x = bytearray(300 * 2**20); import time; time.sleep(0.5)")
    assert peak.kb > 300 * 1024 and len(peak.seen) >= 2


def test_cpu_time_counts_every_process_of_the_tree():
    peak = watched_child("import time; end = time.process_time() + 0.6\nwhile time.process_time() < end: pass")
    assert peak.cpu_seconds >= 0.5


def case(backend, tenants, seconds, history=0, shards=1, peak_mb=300.0, floor=1.0):
    return Case(backend, tenants, history, shards, Rollup(seconds, peak_mb, shards, 0), 1.0, 2.0,
                Floor(floor / 2, floor / 2))


def test_goals_judge_history_scale_shards_and_sqlite():
    lines = goals([
        case("postgresql", 10_000, 6.0), case("postgresql", 10_000, 6.6, history=24),
        case("postgresql", 100_000, 40.0), case("postgresql", 100_000, 25.0, shards=2),
        case("postgresql", 1_000_000, 130.0, shards=2, peak_mb=900),
        case("sqlite", 10_000, 11.0), case("sqlite", 10_000, 13.0, history=24),
    ])
    assert "- met: postgresql 10k whole rollup <= 30 s (measured 6.0 s)" in lines
    assert "- MISSED: postgresql 10k H=0 marginal <= 2x floor (measured 4.00x)" in lines
    assert "- met: postgresql 10k H=24 history <= 1.15x the H=0 month (measured 1.10x)" in lines
    assert "- met: postgresql 100k H=0 K=2 <= 0.75x K=1 (measured 0.62x)" in lines
    assert "- MISSED: postgresql 1M H=0 K=2 end to end <= 120 s (measured 130.0 s)" in lines
    assert "- met: postgresql 1M H=0 K=2 peak RSS <= 1 GB per process (measured 900 MB over 2 process(es))" in lines
    assert "- MISSED: sqlite 10k H=24 history <= 1.15x the H=0 month (measured 1.18x)" in lines
    assert "- met: SQLite within 2x of PostgreSQL at 10,000 H=0 (measured 1.83x)" in lines
    assert "- met: SQLite within 2x of PostgreSQL at 10,000 H=24 (measured 1.97x)" in lines

