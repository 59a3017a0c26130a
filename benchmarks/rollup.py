"""`arcadia-pipelines rollup` in a subprocess of its own: wall time, the peak RSS of its process
tree (with shards, Dagster's multiprocess executor runs steps in child processes) and the CPU time
that tree and the local PostgreSQL server spent on it."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine

from .generate import PERIOD

EXE = str(Path(sys.executable).with_name("arcadia-pipelines"))
OUTPUT_TABLES = (t.deployment_usage, t.deployment_quotes, t.tenant_invoices)


class RollupFailed(RuntimeError):
    """The rollup did not invoice the month; the message says why (the log's tail)."""


@dataclass(frozen=True)
class Rollup:
    seconds: float
    peak_mb: float  # the largest peak RSS of any one process of the run
    processes: int  # how many processes the run had (1 without shards)
    rows: int  # rows the run wrote: usage, quotes, invoices and their lines
    cpu_seconds: float | None = None  # the process tree's and the local PostgreSQL server's CPU time
    stages: dict[str, float] = field(default_factory=dict)  # usage, quotes, invoices: seconds of their steps

    @property
    def cores_busy(self) -> float | None:
        """The cores the run kept busy on average: on this 2-core machine, how much room shards have."""
        return None if self.cpu_seconds is None else self.cpu_seconds / self.seconds


def rollup_command(shards: int, exe: str = EXE) -> list[str]:
    return [exe, "rollup", "--period", PERIOD.label, *(["--shards", str(shards)] if shards > 1 else [])]


def shards_supported() -> bool:
    """Whether this `arcadia-pipelines rollup` takes --shards."""
    help_text = subprocess.run([EXE, "rollup", "--help"], capture_output=True, text=True).stdout
    return "--shards" in help_text


def run_rollup(url: str, shards: int = 1, exe: str = EXE) -> Rollup:
    """One `monthly_invoicing` run for the benchmark month on a fresh Dagster instance (`exe`: the
    `arcadia-pipelines` of this checkout, or of another one to compare with)."""
    with tempfile.TemporaryDirectory(prefix="arcadia_bench_home_") as home:
        Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {**os.environ, "DAGSTER_HOME": home, "ARCADIA_WAREHOUSE_URL": url}
        with open(Path(home, "out.log"), "w+") as out:
            server_before = postgres_cpu_seconds() if url.startswith("postgresql") else 0.0
            start = time.perf_counter()
            proc = subprocess.Popen(rollup_command(shards, exe), env=env, stdout=out, stderr=subprocess.STDOUT)
            peak = PeakRss(proc.pid)
            proc.wait()
            seconds = time.perf_counter() - start
            peak.join()
            server_after = postgres_cpu_seconds() if url.startswith("postgresql") else 0.0
            out.seek(0)
            log = out.read()
        stages = stage_seconds(Path(home))
    if proc.returncode != 0 or " created" not in log:
        raise RollupFailed(f"`{' '.join(rollup_command(shards, exe)[1:])}` failed (exit {proc.returncode}): "
                           f"{log[-2000:].strip()}")
    cpu = None if server_before is None or server_after is None else peak.cpu_seconds + server_after - server_before
    return Rollup(seconds, peak.kb / 1024, len(peak.seen), written_rows(url), cpu, stages)


STAGE_STEP = re.compile(r"\.write_(usage|quotes|invoices)_shard\[")


def stage_seconds(home: Path) -> dict[str, float]:
    """Each stage's seconds from the run's event log in the Dagster instance at `home`: from its
    first shard step's start to its last one's success."""
    spans: dict[str, list[float]] = {}
    for db in home.glob("history/runs/*-*.db"):
        with sqlite3.connect(db) as c:
            for step, at in c.execute("SELECT step_key, timestamp FROM event_logs "
                                      "WHERE dagster_event_type IN ('STEP_START', 'STEP_SUCCESS')"):
                if m := STAGE_STEP.search(step or ""):
                    spans.setdefault(m.group(1), []).append(datetime.fromisoformat(at).timestamp())
    return {stage: max(times) - min(times) for stage, times in spans.items()}


class PeakRss(threading.Thread):
    """Polls VmHWM (peak RSS since exec) and CPU time of a process and of all its descendants until
    it exits, keeping the largest peak and each process's last CPU time. getrusage() would not do:
    on Linux a child's ru_maxrss starts from the parent's RSS at fork time, and a step process
    forked by Dagster's forkserver is not reaped by the process we wait for."""

    def __init__(self, pid: int, every: float = 0.02):
        super().__init__(daemon=True)
        self.pid, self.every, self.kb, self.seen = pid, every, 0, {pid}
        self._cpu: dict[int, float] = {}
        self.start()

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu.values())

    def run(self) -> None:
        while _alive(self.pid):
            for pid in _tree(self.pid):
                self.seen.add(pid)
                self.kb = max(self.kb, _peak_kb(pid))
                self._cpu[pid] = max(self._cpu.get(pid, 0.0), _own_cpu_seconds(pid) or 0.0)
            time.sleep(self.every)


_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name (field 3 onwards), or [] once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _own_cpu_seconds(pid: int) -> float | None:
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK if fields else None  # utime, stime


def postgres_cpu_seconds() -> float | None:
    """CPU time of this machine's PostgreSQL server so far: its live processes' own, and what the
    postmaster has reaped of backends that ended (cutime, cstime). None without a local server."""
    total, found = 0.0, False
    for entry in filter(str.isdigit, os.listdir("/proc")):
        fields = _stat_fields(int(entry)) if _comm(int(entry)) == "postgres" else []
        if fields:
            found = True
            total += sum(int(f) for f in fields[11:13]) / _TICK  # utime, stime
            if _comm(int(fields[1])) != "postgres":  # the postmaster: its parent is not a postgres process
                total += sum(int(f) for f in fields[13:15]) / _TICK  # cutime, cstime
    return total if found else None


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _status(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/status") as f:
            return f.readlines()
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Running and not a zombie (a zombie's status has no VmHWM)."""
    return any(line.startswith("VmHWM:") for line in _status(pid))


def _peak_kb(pid: int) -> int:
    return next((int(line.split()[1]) for line in _status(pid) if line.startswith("VmHWM:")), 0)


def _tree(pid: int) -> list[int]:
    """The process and its descendants, from each thread's `children` list."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                todo += map(int, Path(f"/proc/{p}/task/{task}/children").read_text().split())
            except OSError:
                pass
    return found


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
