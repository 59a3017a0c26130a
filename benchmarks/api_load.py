"""The invoice API under load: `python -m benchmarks.api_load [--tenants 1000] [--backends sqlite,postgresql]
[--clients 16] [--requests 3000] [--seconds 120] [--workers N]`.

For each backend: generate a month (benchmarks/generate.py) and invoice it with `arcadia-pipelines rollup`,
then issue most drafts, pay part of them, void a few and credit some (the services the API's moves use),
make an admin key and tenant keys, serve the API as production does (`arcadia-pipelines api` in a
process of its own, ARCADIA_API_WORKERS workers) on loopback, and drive it with `--clients` concurrent
clients, each on its own keep-alive connection, until `--requests` requests are answered or `--seconds`
have passed. The requests mix invoice lists (filtered, paged), single invoices, a line's usage evidence,
the events feed and invoice PDFs, with admin and tenant keys. Prints p50 / p99 latency per kind of
route, requests per second and errors (any answer but 200, or no answer) per backend.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import socket
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import httpx
import sqlalchemy as sa

from arcadia_pipelines.api.keys import create_key
from arcadia_pipelines.billing.lifecycle import MoveRefused
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine

from .generate import PERIOD, generate
from .rollup import EXE, run_rollup
from .warehouses import BACKENDS, analyze, warehouse

KINDS = ("list", "get", "lines", "events", "pdf")
MIX = {"list": 25, "get": 25, "lines": 15, "events": 20, "pdf": 15}  # relative weights of the request kinds
TENANT_KEYS = 32  # tenants that get a key of their own; the rest of the requests use the admin key
MOVED_AT = datetime(2026, 5, 2, 9, tzinfo=timezone.utc)
SUPPLIER = {"ARCADIA_SUPPLIER_NAME": "Arcadia Cloud Pty Ltd", "ARCADIA_SUPPLIER_ABN": "51 824 753 556",
            "ARCADIA_SUPPLIER_ADDRESS": "1 Example St | Sydney NSW 2000"}


@dataclass
class Seeded:
    """What the load is drawn from: keys, and the invoices and lines each key may read."""

    admin: str
    tenant_keys: dict[str, str]  # tenant id -> key
    invoices: list[tuple[int, str]]  # (id, tenant id)
    overage_lines: dict[int, list[int]]  # invoice id -> its overage line ids (these have usage evidence)
    events: int


def seed(url: str, tenants: int) -> Seeded:
    """A month invoiced by the rollup, then moved on the way finance would."""
    generate(url, tenants)
    run_rollup(url)
    engine = create_warehouse_engine(url)
    try:
        with engine.begin() as conn:
            ids = conn.execute(sa.select(t.tenant_invoices.c.id).order_by(t.tenant_invoices.c.id)).scalars().all()
            for n, invoice_id in enumerate(ids):
                _finance(conn, n, invoice_id)
        admin = create_key(engine, "platform_admin")[1]
        with engine.connect() as conn:
            invoices = [tuple(r) for r in conn.execute(sa.select(t.tenant_invoices.c.id, t.tenant_invoices.c.tenant_id)
                                                       .order_by(t.tenant_invoices.c.id))]
            lines = defaultdict(list)
            for invoice_id, line_id in conn.execute(sa.select(t.tenant_invoice_lines.c.invoice_id,
                                                              t.tenant_invoice_lines.c.id)
                                                    .where(t.tenant_invoice_lines.c.kind == "overage")):
                lines[invoice_id].append(line_id)
            events = conn.scalar(sa.select(sa.func.count()).select_from(t.invoice_events))
        keyed = sorted({tenant for _, tenant in invoices})[:TENANT_KEYS]
        tenant_keys = {tenant: create_key(engine, "tenant", tenant)[1] for tenant in keyed}
        analyze(engine)
    finally:
        engine.dispose()
    return Seeded(admin, tenant_keys, invoices, dict(lines), events)


def _finance(conn: sa.Connection, n: int, invoice_id: int) -> None:
    """Invoice n's month after finance: 4 in 5 issued, half of those paid, 1 in 20 of the issued
    credited in full, 1 in 50 drafts voided (a held draft stays a draft)."""
    try:
        if n % 50 == 25:
            apply_move(conn, invoice_id, "void", MOVED_AT)
        elif n % 5:
            apply_move(conn, invoice_id, "issue", MOVED_AT)
            if n % 2:
                apply_move(conn, invoice_id, "pay", MOVED_AT)
            if n % 20 == 3:
                create_credit_note(conn, invoice_id, "benchmark correction", None, MOVED_AT)
    except MoveRefused:
        pass


@dataclass(frozen=True)
class Request:
    kind: str
    path: str
    key: str
    params: dict = field(default_factory=dict)


def requests_of(data: Seeded, rng: random.Random) -> Iterator[Request]:
    """An endless, seeded mix of reads (MIX), half of the single-invoice ones with the invoice's
    tenant's key where it has one."""
    kinds = list(MIX)
    weights = list(MIX.values())
    keyed = [(i, tenant) for i, tenant in data.invoices if tenant in data.tenant_keys]
    with_lines, owners = list(data.overage_lines), dict(data.invoices)
    while True:
        kind = rng.choices(kinds, weights)[0]
        invoice_id, tenant = rng.choice(keyed) if keyed and rng.random() < 0.5 else rng.choice(data.invoices)
        key = data.tenant_keys.get(tenant, data.admin)
        if kind == "list":
            params = rng.choice([{}, {"period": PERIOD.label}, {"status": "issued", "limit": "100"},
                                 {"period": PERIOD.label, "status": "paid"}])
            yield Request(kind, "/api/v1/invoices", rng.choice([data.admin, key]), params)
        elif kind == "get":
            yield Request(kind, f"/api/v1/invoices/{invoice_id}", key)
        elif kind == "lines" and with_lines:
            invoice_id = rng.choice(with_lines)
            line = rng.choice(data.overage_lines[invoice_id])
            yield Request(kind, f"/api/v1/invoices/{invoice_id}/lines/{line}/usage",
                          data.tenant_keys.get(owners[invoice_id], data.admin))
        elif kind == "events":
            after = rng.randrange(max(data.events, 1))
            yield Request(kind, "/api/v1/events", rng.choice([data.admin, key]), {"after": str(after)}
                          if after else {})
        else:
            yield Request("pdf", f"/api/v1/invoices/{invoice_id}/pdf", key)


@dataclass
class Tally:
    """Latencies (seconds) per kind of route, and the failed requests (status or error text)."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    wall: float = 0.0
    client_cpu: float = 0.0  # CPU seconds of this process (the client threads) while driving
    server_cpu: float = 0.0  # CPU seconds of the server's processes (supervisor and workers) meanwhile

    @property
    def count(self) -> int:
        return sum(map(len, self.seconds.values()))

    @property
    def error_count(self) -> int:
        return sum(map(len, self.errors.values()))


def drive(base_url: str, work: Iterator[Request], clients: int, requests: int, seconds: float) -> Tally:
    """`clients` threads, each with its own connection, taking requests from `work` until
    `requests` were sent or `seconds` have passed."""
    tally, lock = Tally(), threading.Lock()
    budget = iter(range(requests))
    deadline = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            while time.monotonic() < deadline:
                with lock:
                    if next(budget, None) is None:
                        return
                    req = next(work)
                start = time.perf_counter()
                try:
                    r = http.get(req.path, params=req.params, headers={"Authorization": f"Bearer {req.key}"})
                    r.read()
                    failure = None if r.status_code == 200 else f"{r.status_code} {req.path} {r.text[:200]}"
                except httpx.HTTPError as e:
                    failure = f"{type(e).__name__} {req.path}"
                took = time.perf_counter() - start
                with lock:
                    tally.seconds[req.kind].append(took)
                    if failure:
                        tally.errors[req.kind].append(failure)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start, cpu = time.perf_counter(), time.process_time()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    tally.wall, tally.client_cpu = time.perf_counter() - start, time.process_time() - cpu
    return tally


def tree_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process `pid` and its live descendants (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return own + sum(tree_cpu_seconds(int(child)) for child in children)


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile p (0-100) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(url: str, workers: int, workdir: Path) -> Iterator[tuple[str, int]]:
    """`arcadia-pipelines api` on a free loopback port with `workers` worker processes; its base URL
    and process id."""
    port = _free_port()
    env = {**os.environ, "ARCADIA_WAREHOUSE_URL": url, "DAGSTER_HOME": str(workdir),
           "ARCADIA_API_WORKERS": str(workers), **SUPPLIER}
    log_path = workdir / f"api_{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([EXE, "api", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the API server exited: {log_path.read_text()[-2000:]}")
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the API server did not answer within 60 s") from None
                time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class Result:
    backend: str
    tenants: int
    invoices: int
    tally: Tally

    def rows(self) -> list[tuple[str, ...]]:
        out = []
        for kind in (*KINDS, "all"):
            values = list(itertools.chain(*self.tally.seconds.values())) if kind == "all" else self.tally.seconds[kind]
            errors = self.tally.error_count if kind == "all" else len(self.tally.errors[kind])
            if values:
                out.append((self.backend, kind, str(len(values)), f"{percentile(values, 50) * 1000:.0f}",
                            f"{percentile(values, 99) * 1000:.0f}",
                            f"{len(values) / self.tally.wall:.0f}" if kind == "all" else "-", str(errors)))
        return out


HEADERS = ("backend", "route", "requests", "p50 ms", "p99 ms", "req/s", "errors")


def markdown(rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> Result:
    with warehouse(backend, workdir, f"api_{backend[:2]}_{args.tenants}") as url:
        start = time.perf_counter()
        data = seed(url, args.tenants)
        print(f"seeded {backend}: {args.tenants:,} tenants, {len(data.invoices):,} invoices, {data.events:,} events "
              f"in {time.perf_counter() - start:.1f} s", flush=True)
        with served(url, args.workers, workdir) as (base, pid):
            rng = random.Random(args.seed)
            drive(base, requests_of(data, rng), args.clients, args.warmup, args.seconds)  # not counted
            load, server_cpu = os.getloadavg()[0], tree_cpu_seconds(pid)
            tally = drive(base, requests_of(data, rng), args.clients, args.requests, args.seconds)
            tally.server_cpu = tree_cpu_seconds(pid) - server_cpu
    for kind, failures in tally.errors.items():
        for failure in failures[:3]:
            print(f"error ({backend} {kind}): {failure}", flush=True)
    per_request = 1000 / max(tally.count, 1)
    print(f"{backend}: load average {load:.2f} before the measured load; server CPU {tally.server_cpu:.1f} s "
          f"({tally.server_cpu * per_request:.2f} ms a request), client CPU {tally.client_cpu:.1f} s "
          f"({tally.client_cpu * per_request:.2f} ms a request) in {tally.wall:.1f} s", flush=True)
    return Result(backend, args.tenants, len(data.invoices), tally)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.api_load", description=__doc__.split("\n\n")[0])
    p.add_argument("--tenants", type=int, default=1000, help="tenants in the generated month (default 1000)")
    p.add_argument("--backends", default=",".join(BACKENDS), help="sqlite and/or postgresql")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    p.add_argument("--requests", type=int, default=3000, help="requests measured per backend (default 3000)")
    p.add_argument("--warmup", type=int, default=200, help="requests sent first, not measured (default 200)")
    p.add_argument("--seconds", type=float, default=120, help="at most this long per backend's load (default 120)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="the server's worker processes, ARCADIA_API_WORKERS (default: one per core)")
    p.add_argument("--seed", type=int, default=24)
    args = p.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    if unknown := set(backends) - set(BACKENDS):
        p.error(f"unknown backend(s) {sorted(unknown)}")
    print(f"{args.clients} clients, {args.requests} requests per backend (at most {args.seconds:.0f} s), "
          f"{args.workers} server worker(s), load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="arcadia_api_load_") as tmp:
        for backend in backends:
            results.append(run_backend(backend, args, Path(tmp)))
            print(markdown(results[-1].rows()), flush=True)
    print()
    print(markdown([row for r in results for row in r.rows()]))
    print(f"errors: {sum(r.tally.error_count for r in results)}")
    return 1 if any(r.tally.error_count for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
