"""The month's tenant shards on two Celery workers against Dagster's multiprocess executor:
`python -m benchmarks.executors [--tenants 100000] [--shards 2] [--pairs 3] [--warehouse URL]`.

One PostgreSQL warehouse of N tenants is generated (or `--warehouse` names one to copy, left as it
is), and a throw-away PostgreSQL database holds the Dagster instance (dagster-postgres, as in
production) that both executors' runs use. Two Celery workers (`celery -A
arcadia_pipelines.celery_steps worker --pool=solo`, one process each, on a queue of their own) are
started once, as long-lived workers are in production. Then `arcadia-pipelines rollup --period
2026-04 --shards K` runs under the multiprocess executor and under Celery, taking turns, each on a
fresh copy of the warehouse (made under one fixed name, since the workers read
ARCADIA_WAREHOUSE_URL when a step starts). Both executors' months must be equal (rows per output
table and invoice totals). Prints each run (wall, CPU of the rollup's process tree + the workers +
the PostgreSQL server, load average), each executor's median and fastest, and the ratio of the
medians. Workers are stopped and every database dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine

from .generate import PERIOD, generate
from .rollup import EXE, PeakRss, RollupFailed, _own_cpu_seconds, _tree, postgres_cpu_seconds, rollup_command
from .warehouses import analyze, pg_admin, warehouse

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))
BROKER = os.environ.get("ARCADIA_BENCH_CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
EXECUTORS = ("multiprocess", "celery")
RUN_TIMEOUT = 900  # seconds; a stuck run fails the comparison instead of holding the machine
PRODUCTION_INSTANCE = ROOT / "dagster.yaml"  # the shipped PostgreSQL instance (DAGSTER_POSTGRES_URL)


@dataclass(frozen=True)
class Run:
    executor: str
    seconds: float
    cpu_seconds: float  # the rollup's process tree, the workers and the PostgreSQL server
    load: float  # the 1-minute load average when the run ended
    month: tuple  # what the run wrote (month_output)


@contextmanager
def fixed_copy(name: str, template: str) -> Iterator[None]:
    """The database `name` as a fresh copy of `template`, dropped on the way out."""
    admin = pg_admin()
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextmanager
def workers(env: dict[str, str], home: Path, count: int = 2) -> Iterator[list[subprocess.Popen]]:
    """`count` Celery workers (one process each) on env's ARCADIA_CELERY_QUEUE, named after it (a
    node name in use elsewhere, such as the Celery test's w1@host, would stop a worker), ready;
    stopped afterwards."""
    procs = []
    try:
        queue = env["ARCADIA_CELERY_QUEUE"]
        for n in range(1, count + 1):
            with open(home / f"w{n}.log", "w") as log:
                procs.append(subprocess.Popen(
                    [CELERY, "-A", "arcadia_pipelines.celery_steps", "worker", "--pool=solo", "-Q", queue,
                     "-n", f"{queue}-w{n}@%h", "--without-gossip", "--without-mingle", "-l", "info"],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 120
        while not all("ready." in (home / f"w{n}.log").read_text() for n in range(1, count + 1)):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("Celery workers did not start: " + (home / "w1.log").read_text()[-2000:])
            time.sleep(0.2)
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def cpu_of(pids: list[int]) -> float:
    """CPU seconds so far of these processes and their descendants."""
    return sum(_own_cpu_seconds(pid) or 0.0 for root in pids for pid in _tree(root))


def month_output(url: str) -> tuple:
    """The month's rows per output table and its invoices' total: equal months have equal ones."""
    engine = create_warehouse_engine(url)
    try:
        with engine.connect() as c:
            counts = tuple(c.scalar(sa.select(sa.func.count()).select_from(tbl)
                                    .where(tbl.c.period_start == PERIOD.start))
                           for tbl in (t.deployment_usage, t.deployment_quotes, t.tenant_invoices))
            lines = c.scalar(sa.select(sa.func.count()).select_from(t.tenant_invoice_lines.join(t.tenant_invoices))
                             .where(t.tenant_invoices.c.period_start == PERIOD.start))
            total = c.scalar(sa.select(sa.func.sum(t.tenant_invoices.c.total_cents))
                             .where(t.tenant_invoices.c.period_start == PERIOD.start))
    finally:
        engine.dispose()
    return (*counts, lines, int(total or 0))


def rollup(executor: str, env: dict[str, str], shards: int, url: str, worker_pids: list[int], log: Path) -> Run:
    """One `arcadia-pipelines rollup --shards K` under `executor`, timed from start to exit."""
    run_env = dict(env)
    if executor == "multiprocess":
        run_env.pop("ARCADIA_STEP_EXECUTOR", None)
    with open(log, "w+") as out:
        before = (postgres_cpu_seconds() or 0.0) + cpu_of(worker_pids)
        start = time.perf_counter()
        proc = subprocess.Popen(rollup_command(shards, EXE), cwd=ROOT, env=run_env, stdout=out,
                                stderr=subprocess.STDOUT)
        tree = PeakRss(proc.pid)
        try:
            proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        seconds = time.perf_counter() - start
        tree.join()
        after = (postgres_cpu_seconds() or 0.0) + cpu_of(worker_pids)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0 or " created" not in text:
        raise RollupFailed(f"{executor}: rollup failed (exit {proc.returncode}): {text[-2000:].strip()}")
    return Run(executor, seconds, tree.cpu_seconds + after - before, os.getloadavg()[0], month_output(url))


def compare(template_url: str, shards: int, pairs: int, home: Path) -> list[Run]:
    """`pairs` runs per executor, taking turns (the first executor alternating), on one instance."""
    name = f"arcadia_bench_exec_run_{uuid.uuid4().hex[:8]}"
    url = sa.make_url(template_url).set(database=name).render_as_string(hide_password=False)
    runs: list[Run] = []
    with ExitStack() as stack:
        instance_url = stack.enter_context(warehouse("postgresql", home, "exec_instance"))
        shutil.copy(PRODUCTION_INSTANCE, home / "dagster.yaml")
        env = {**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_POSTGRES_URL": instance_url,
               "ARCADIA_WAREHOUSE_URL": url, "ARCADIA_STEP_EXECUTOR": "celery",
               "ARCADIA_CELERY_BROKER_URL": BROKER, "ARCADIA_CELERY_QUEUE": f"arcadia-bench-{uuid.uuid4().hex[:8]}"}
        procs = stack.enter_context(workers(env, home))
        pids = [p.pid for p in procs]
        for pair in range(pairs):
            for executor in EXECUTORS if pair % 2 == 0 else EXECUTORS[::-1]:
                with fixed_copy(name, sa.make_url(template_url).database):
                    run = rollup(executor, env, shards, url, pids, home / f"{executor}_{pair}.log")
                runs.append(run)
                print(f"| {executor} | {run.seconds:.1f} | {run.cpu_seconds:.1f} | {run.load:.2f} |", flush=True)
    months = {run.month for run in runs}
    if len(months) != 1:
        raise RuntimeError(f"the executors' months differ (usage, quotes, invoices, lines, total cents): {months}")
    return runs


@contextmanager
def generated(tenants: int, workdir: Path, reuse: str | None) -> Iterator[str]:
    """The URL of the warehouse to copy: `reuse`, or one generated now and dropped afterwards."""
    if reuse:
        yield reuse
        return
    with warehouse("postgresql", workdir, f"exec_{tenants}") as url:
        start = time.perf_counter()
        generate(url, tenants)
        engine = create_warehouse_engine(url)
        analyze(engine)
        engine.dispose()
        print(f"generated N={tenants:,} in {time.perf_counter() - start:.1f} s", flush=True)
        yield url


def summary(runs: list[Run], tenants: int, shards: int) -> str:
    rows = ["| N | K | executor | median wall s | fastest wall s | median CPU s | load (1 min) |",
            "|---|---|---|---|---|---|---|"]
    medians = {}
    for executor in EXECUTORS:
        mine = [r for r in runs if r.executor == executor]
        medians[executor] = statistics.median(r.seconds for r in mine)
        loads = [r.load for r in mine]
        rows.append(f"| {tenants:,} | {shards} | {executor} | {medians[executor]:.1f} "
                    f"| {min(r.seconds for r in mine):.1f} | {statistics.median(r.cpu_seconds for r in mine):.1f} "
                    f"| {min(loads):.2f}-{max(loads):.2f} |")
    ratio = medians["celery"] / medians["multiprocess"]
    return "\n".join(rows + ["", f"Celery / multiprocess, ratio of medians: {ratio:.2f}x "
                                 f"({len(runs) // 2} pair(s); the months equal: {runs[0].month})"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.executors", description=__doc__.split("\n\n")[0])
    p.add_argument("--tenants", type=int, default=100_000)
    p.add_argument("--shards", type=int, default=2, help="tenant shards K (both executors)")
    p.add_argument("--pairs", type=int, default=3, help="runs per executor, taking turns")
    p.add_argument("--warehouse", metavar="URL", help="a generated PostgreSQL warehouse to copy instead of "
                   "generating one (not dropped; no connection to it may be open)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="arcadia_bench_exec_") as tmp:
        with generated(args.tenants, Path(tmp), args.warehouse) as template:
            print("| executor | wall s | CPU s | load |\n|---|---|---|---|", flush=True)
            runs = compare(template, args.shards, args.pairs, Path(tmp))
    print(summary(runs, args.tenants, args.shards))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
