"""`arcadia-pipelines rollup --period YYYY-MM`: invoice one month through Dagster's monthly_invoicing job."""

from __future__ import annotations

import argparse

from arcadia_pipelines.cli.common import PROG, CliError, examples, month

VERB = "rollup"
ABOUT = "Invoice one month through Dagster's monthly_invoicing job on the DAGSTER_HOME instance."
EXAMPLE = "rollup --period 2026-04"


def cmd_rollup(args) -> int:
    from arcadia_pipelines.dagster_runs.instance import open_instance
    from arcadia_pipelines.dagster_runs.launch import failure_reason, run_monthly_invoicing
    from arcadia_pipelines.monthend.progress import reporting_to, terminal
    from arcadia_pipelines.warehouse.engine import supported_url, warehouse_url

    supported_url(warehouse_url())  # refused here in one line, not as a failed run
    with open_instance() as instance, reporting_to(terminal(args.stderr)):
        result = run_monthly_invoicing(args.period, instance, force=args.force, shards=args.shards)
    if not result.success:
        raise CliError(f"run {result.run_id} for {args.period.label} failed: {failure_reason(result)}")
    meta = result.asset_materializations_for_node("tenant_invoices")[-1].metadata
    print(f"run {result.run_id}: {args.period.label} invoiced: "
          f"{meta['created'].value} created, {meta['recomputed'].value} recomputed, "
          f"{meta['skipped_existing'].value} already invoiced, left alone: {meta['left_alone'].value}")
    if meta["empty_month"].value:
        print(f"{PROG} rollup: warning: {meta['warning'].value}", file=args.stderr)
    return 0


def _shards(text: str) -> int:
    from arcadia_pipelines.monthend.shards import MAX_SHARDS

    if not text.isdigit() or not 1 <= int(text) <= MAX_SHARDS:
        raise argparse.ArgumentTypeError(f"--shards takes a whole number from 1 to {MAX_SHARDS}, got {text!r}")
    return int(text)


def register(sub) -> None:
    r = sub.add_parser(VERB, help=ABOUT,
                       description=ABOUT + " The run shows in the Dagster UI. A re-run skips tenants "
                       "already invoiced; --force recomputes draft invoices in place.",
                       epilog=examples(EXAMPLE, "rollup --period 2026-04 --force",
                                       "rollup --period 2026-04 --shards 2"))
    r.add_argument("--period", type=month, required=True, metavar="YYYY-MM", help="the month")
    r.add_argument("--force", action="store_true", help="recompute draft invoices in place")
    r.add_argument("--shards", type=_shards, default=1, metavar="K",
                   help="write each stage as K tenant shards in parallel processes (Dagster's multiprocess "
                        "executor; for large PostgreSQL months; default 1: one process)")
    r.set_defaults(fn=cmd_rollup)
