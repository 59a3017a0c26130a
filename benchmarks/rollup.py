"""`arcadia-pipelines rollup` in a subprocess of its own: wall time and peak RSS."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine

from .generate import PERIOD

EXE = str(Path(sys.executable).with_name("arcadia-pipelines"))
OUTPUT_TABLES = (t.deployment_usage, t.deployment_quotes, t.tenant_invoices)


@dataclass(frozen=True)
class Rollup:
    seconds: float
    peak_mb: float
    rows: int  # rows the run wrote: usage, quotes, invoices and their lines


def run_rollup(url: str) -> Rollup:
    """One `monthly_invoicing` run for the benchmark month on a fresh Dagster instance."""
    with tempfile.TemporaryDirectory(prefix="arcadia_bench_home_") as home:
        Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {**os.environ, "DAGSTER_HOME": home, "ARCADIA_WAREHOUSE_URL": url}
        with open(Path(home, "out.log"), "w+") as out:
            start = time.perf_counter()
            proc = subprocess.Popen([EXE, "rollup", "--period", PERIOD.label], env=env,
                                    stdout=out, stderr=subprocess.STDOUT)
            peak = _PeakRss(proc.pid)
            proc.wait()
            seconds = time.perf_counter() - start
            peak.join()
            out.seek(0)
            log = out.read()
    if proc.returncode != 0 or " created" not in log:
        raise RuntimeError(f"rollup failed ({proc.returncode}): {log[-2000:]}")
    return Rollup(seconds, peak.kb / 1024, written_rows(url))


class _PeakRss(threading.Thread):
    """Polls the child's VmHWM (its peak RSS since exec) until it exits. getrusage() would not do:
    on Linux a child's ru_maxrss starts from the parent's RSS at fork time."""

    def __init__(self, pid: int, every: float = 0.02):
        super().__init__(daemon=True)
        self.path, self.every, self.kb = f"/proc/{pid}/status", every, 0
        self.start()

    def run(self) -> None:
        while True:
            try:
                with open(self.path) as f:
                    hwm = next((line for line in f if line.startswith("VmHWM:")), None)
            except OSError:
                return
            if hwm is None:  # a zombie: it has exited
                return
            self.kb = max(self.kb, int(hwm.split()[1]))
            time.sleep(self.every)


def written_rows(url: str) -> int:
    engine = create_warehouse_engine(url)
    try:
        with engine.connect() as c:
            n = sum(c.scalar(sa.select(sa.func.count()).select_from(tbl).where(tbl.c.period_start == PERIOD.start))
                    for tbl in OUTPUT_TABLES)
            lines = t.tenant_invoice_lines
            n += c.scalar(sa.select(sa.func.count()).select_from(lines.join(t.tenant_invoices))
                          .where(t.tenant_invoices.c.period_start == PERIOD.start))
    finally:
        engine.dispose()
    return n
