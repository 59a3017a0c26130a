"""This checkout's month-end against another checkout's, interleaved on this machine:
`python -m benchmarks.versus OTHER [--tenants 10000] [--backends sqlite,postgresql] [--pairs 5]`.

OTHER is a checkout with its package installed in OTHER/.venv, say the revision before usage
evidence (issue 12: `git worktree add ../before e7df9ad`, then `python -m venv .venv &&
.venv/bin/pip install -e .` in it). Each side generates its warehouse with its own generator (the
schemas differ between revisions) and rolls up a fresh copy of it with its own
`arcadia-pipelines rollup`; the two sides take turns, so a shared machine's drifting speed falls on
both alike (seen here: the same revision 6.2 s and 8.0 s at 10,000 tenants an hour apart).
Prints each side's median and fastest seconds and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path

from arcadia_pipelines.warehouse.engine import create_warehouse_engine

from .generate import generate
from .rollup import run_rollup
from .warehouses import BACKENDS, analyze, warehouse

THIS = Path(__file__).resolve().parent.parent


def generate_with(checkout: Path, url: str, tenants: int) -> None:
    """The checkout's own generator writes its own schema's warehouse."""
    if checkout == THIS:
        generate(url, tenants)
    else:
        subprocess.run([str(checkout / ".venv/bin/python"), "-c",
                        f"from benchmarks.generate import generate; generate({url!r}, {tenants})"],
                       cwd=checkout, check=True)
    engine = create_warehouse_engine(url)
    analyze(engine)
    engine.dispose()


def compare(other: Path, backend: str, tenants: int, pairs: int, workdir: Path) -> dict[str, list[float]]:
    sides = {"this": THIS, "other": other}
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    with warehouse(backend, workdir, "vs_this") as this_url, warehouse(backend, workdir, "vs_other") as other_url:
        urls = {"this": this_url, "other": other_url}
        for name, checkout in sides.items():
            generate_with(checkout, urls[name], tenants)
        for _ in range(pairs):
            for name, checkout in sides.items():
                with warehouse(backend, workdir, f"vs_{name}_run", copy_of=urls[name]) as url:
                    seconds[name].append(run_rollup(url, exe=str(checkout / ".venv/bin/arcadia-pipelines")).seconds)
    return seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.versus", description=__doc__.split("\n\n")[0])
    p.add_argument("other", type=Path, help="the other checkout, with its package installed in OTHER/.venv")
    p.add_argument("--tenants", type=int, default=10_000)
    p.add_argument("--backends", default=",".join(BACKENDS), help="sqlite and/or postgresql")
    p.add_argument("--pairs", type=int, default=5, help="rollups per side, taking turns")
    args = p.parse_args(argv)
    other = args.other.resolve()
    if not (other / ".venv/bin/arcadia-pipelines").exists():
        p.error(f"{other} has no .venv/bin/arcadia-pipelines: install its package there first")
    revision = subprocess.run(["git", "-C", str(other), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip() or str(other)
    print(f"| backend | N | this: median s | this: fastest s | {revision}: median s | {revision}: fastest s "
          f"| ratio of medians |\n|---|---|---|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="arcadia_versus_") as tmp:
        for backend in (b for b in args.backends.split(",") if b):
            s = compare(other, backend, args.tenants, args.pairs, Path(tmp))
            this, theirs = statistics.median(s["this"]), statistics.median(s["other"])
            print(f"| {backend} | {args.tenants:,} | {this:.1f} | {min(s['this']):.1f} | {theirs:.1f} "
                  f"| {min(s['other']):.1f} | {this / theirs:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
