"""Month-end at scale: `python -m benchmarks.run [--sizes 1000,10000,50000] [--backends sqlite,postgresql]`.

For each backend and size N: generate N tenants, run `arcadia-pipelines rollup` for April 2026 in
a subprocess, measure the floor (floor.py) on the same data, and compare the rollup's marginal
cost over a 1-tenant rollup with that floor. Prints a table and writes benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from arcadia_pipelines.warehouse.engine import create_warehouse_engine

from . import machine
from .floor import Floor, measure_floor
from .generate import generate
from .rollup import Rollup, run_rollup
from .warehouses import BACKENDS, analyze, warehouse

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADERS = ("backend", "N", "seconds", "marginal s", "floor s", "marginal / floor", "rows written", "rows/s",
           "peak MB", "Core write s", "generate s")
GOALS = "PostgreSQL at 10k: <= 30 s, marginal <= 3x floor, peak <= 1024 MB; 50k <= 5.5x the 10k time; " \
        "SQLite the same and within 2x of PostgreSQL"


@dataclass(frozen=True)
class Case:
    backend: str
    tenants: int
    rollup: Rollup
    generate_seconds: float
    baseline: float  # seconds of a 1-tenant rollup on this backend
    floor: Floor | None

    @property
    def marginal(self) -> float:
        return self.rollup.seconds - self.baseline

    def row(self) -> tuple[str, ...]:
        f = self.floor
        return (self.backend, f"{self.tenants:,}", f"{self.rollup.seconds:.1f}",
                f"{self.marginal:.1f}" if f else "-", f"{f.seconds:.2f}" if f else "-",
                f"{self.marginal / f.seconds:.2f}" if f else "-", f"{self.rollup.rows:,}",
                f"{self.rollup.rows / self.rollup.seconds:,.0f}", f"{self.rollup.peak_mb:.0f}",
                f"{f.core_write_seconds:.2f}" if f else "-", f"{self.generate_seconds:.1f}")


def best_case(backend: str, tenants: int, workdir: Path, baseline: float | None, repeat: int) -> Case:
    """The fastest of `repeat` rollups, each on a fresh warehouse, with the lowest floor measured
    (a shared 2-core machine only ever adds noise)."""
    cases = [run_case(backend, tenants, workdir, baseline) for _ in range(repeat)]
    best = min(cases, key=lambda c: c.rollup.seconds)
    floors = [c.floor for c in cases if c.floor]
    return replace(best, floor=min(floors, key=lambda f: f.seconds)) if floors else best


def run_case(backend: str, tenants: int, workdir: Path, baseline: float | None) -> Case:
    with warehouse(backend, workdir, f"{backend[:2]}_{tenants}") as url:
        start = time.perf_counter()
        generate(url, tenants)
        engine = create_warehouse_engine(url)
        analyze(engine)
        engine.dispose()
        generated = time.perf_counter() - start
        rollup = run_rollup(url)
        floor = measure_floor(url, rollup.rows) if baseline is not None else None
    return Case(backend, tenants, rollup, generated, rollup.seconds if baseline is None else baseline, floor)


def markdown(rows: list[tuple[str, ...]], headers: tuple[str, ...] = HEADERS) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def goals(cases: list[Case]) -> list[str]:
    """Each goal this run can judge, with the measured figure."""
    at = {(c.backend, c.tenants): c for c in cases if c.floor}
    out = []
    for backend in BACKENDS:
        ten, fifty = at.get((backend, 10_000)), at.get((backend, 50_000))
        if ten:
            out.append(_goal(f"{backend} 10k whole rollup <= 30 s", ten.rollup.seconds <= 30,
                             f"{ten.rollup.seconds:.1f} s"))
            ratio = ten.marginal / ten.floor.seconds
            out.append(_goal(f"{backend} 10k marginal <= 3x floor", ratio <= 3, f"{ratio:.2f}x"))
            out.append(_goal(f"{backend} 10k peak RSS <= 1 GB", ten.rollup.peak_mb <= 1024,
                             f"{ten.rollup.peak_mb:.0f} MB"))
        if ten and fifty:
            growth = fifty.rollup.seconds / ten.rollup.seconds
            out.append(_goal(f"{backend} 50k <= 5.5x the 10k time", growth <= 5.5, f"{growth:.2f}x"))
    for n in sorted({c.tenants for c in cases}):
        lite, pg = at.get(("sqlite", n)), at.get(("postgresql", n))
        if lite and pg:
            ratio = lite.rollup.seconds / pg.rollup.seconds
            out.append(_goal(f"SQLite within 2x of PostgreSQL at {n:,}", ratio <= 2, f"{ratio:.2f}x"))
    return out


def _goal(what: str, met: bool, measured: str) -> str:
    return f"- {'met' if met else 'MISSED'}: {what} (measured {measured})"


def write_results(cases: list[Case], facts: list[tuple[str, str]], repeat: int, note: str | None,
                  path: Path = RESULTS) -> None:
    path.write_text("\n".join([
        "# Month-end benchmark", "",
        f"Written by `python -m benchmarks.run`, best of {repeat} run(s) per row (each on a fresh warehouse).",
        *(["", f"Note: {note}"] if note else []), "",
        markdown([c.row() for c in cases]), "",
        "- **seconds**: `arcadia-pipelines rollup --period 2026-04` end to end in a subprocess (Python and "
        "Dagster start-up, migrations check, the three assets and their checks, run bookkeeping).",
        "- **marginal s**: seconds minus the 1-tenant rollup on the same backend (the N = 1 row).",
        "- **floor s**: the month's usage aggregation as one SQL statement plus a bulk write (COPY on "
        "PostgreSQL, executemany of ready tuples on SQLite) of as many rows as the rollup wrote into a "
        "scratch copy of `tenant_invoice_lines` with its keys (`benchmarks/floor.py`). **Core write s**: "
        "the same write as one SQLAlchemy Core executemany insert, for reference.",
        "- **rows written**: deployment_usage + deployment_quotes + tenant_invoices + tenant_invoice_lines "
        "rows of the month; **peak MB**: peak RSS of the rollup process.",
        "- Data per tenant: 2 deployments, 2 subscriptions (1 in 10 starting mid-month), 10 metered "
        "intervals (8 droplets, 2 volumes; 3 in 10 starting mid-month), an addon on every third deployment.",
        "", "## Goals", "", GOALS, "", *goals(cases), "",
        "## Machine", "", markdown([(k, v) for k, v in facts], ("what", "value")), "",
    ]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,10000,50000", help="tenant counts, comma separated")
    p.add_argument("--backends", default=",".join(BACKENDS), help="sqlite and/or postgresql")
    p.add_argument("--output", type=Path, default=RESULTS, help="where the markdown goes")
    p.add_argument("--repeat", type=int, default=1, help="runs per row, the fastest is kept")
    p.add_argument("--note", help="a line to add to the markdown (e.g. what was patched)")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = [b for b in args.backends.split(",") if b]
    if unknown := set(backends) - set(BACKENDS):
        p.error(f"unknown backend(s) {sorted(unknown)}")
    facts = machine.describe(backends)
    cases: list[Case] = []
    print(markdown([]), flush=True)
    with tempfile.TemporaryDirectory(prefix="arcadia_bench_") as tmp:
        for backend in backends:
            # the fixed cost of a run: a 1-tenant rollup, best of at least three (it is subtracted from every row)
            base = best_case(backend, 1, Path(tmp), None, max(3, args.repeat))
            cases.append(base)
            print(markdown([base.row()]).splitlines()[-1], flush=True)
            for n in sizes:
                cases.append(best_case(backend, n, Path(tmp), base.rollup.seconds, args.repeat))
                print(markdown([cases[-1].row()]).splitlines()[-1], flush=True)
    write_results(cases, facts, args.repeat, args.note, args.output)
    print("\n".join(goals(cases)))
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
