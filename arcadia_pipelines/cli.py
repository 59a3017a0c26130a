"""`arcadia-pipelines`: migrate, rollup, quote, demo. Errors print one line and exit non-zero."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from fractions import Fraction

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.money import decimal_text, exact, to_decimal
from arcadia_pipelines.billing.periods import Period


class CliError(Exception):
    """A one-line reason for the user."""


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _addon(text: str) -> tuple[str, int]:
    code, _, qty = text.partition("=")
    if not code or (qty and not qty.isdigit()):
        raise argparse.ArgumentTypeError(f"--addon takes CODE or CODE=QTY (a whole number), got {text!r}")
    return code, int(qty or 1)


def _usage(text: str) -> tuple[str, Fraction]:
    meter, sep, qty = text.partition("=")
    try:
        if not (meter and sep):
            raise ValueError
        return meter, exact(qty)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"--usage takes METER=QTY, got {text!r}") from None


def cmd_migrate(args) -> int:
    from arcadia_pipelines.warehouse.engine import create_warehouse_engine, redacted
    from arcadia_pipelines.warehouse.migrate import upgrade

    engine = create_warehouse_engine()
    print(f"warehouse {redacted(str(engine.url.render_as_string(hide_password=False)))} "
          f"is at schema revision {upgrade(engine)}")
    return 0


def _instance():
    import dagster as dg

    from arcadia_pipelines.warehouse.engine import dagster_home

    os.environ["DAGSTER_HOME"] = str(dagster_home())
    return dg.DagsterInstance.get()


def cmd_rollup(args) -> int:
    from arcadia_pipelines.runs import failure_reason, run_monthly_invoicing

    with _instance() as instance:
        result = run_monthly_invoicing(args.period, instance, force=args.force)
    if not result.success:
        raise CliError(f"run {result.run_id} for {args.period.label} failed: "
                       + failure_reason(result).replace("\n", " "))
    meta = result.asset_materializations_for_node("tenant_invoices")[-1].metadata
    print(f"run {result.run_id}: {args.period.label} invoiced: "
          f"{meta['created'].value} created, {meta['recomputed'].value} recomputed, "
          f"{meta['skipped_existing'].value} already invoiced, left alone: {meta['left_alone'].value}")
    return 0


def cmd_quote(args) -> int:
    from arcadia_pipelines.billing.provisioning import provisioning_quote
    from arcadia_pipelines.render import render_invoice
    from arcadia_pipelines.warehouse.engine import create_warehouse_engine
    from arcadia_pipelines.warehouse.migrate import upgrade
    from arcadia_pipelines.warehouse.reads import load_price_book

    engine = create_warehouse_engine()
    upgrade(engine)
    with engine.connect() as conn:
        book = load_price_book(conn)
    period = args.period or Period(datetime.now(timezone.utc).date().replace(day=1))
    draft = provisioning_quote(book, period, args.plan, args.addon, dict(args.usage), args.country)
    t = draft.totals
    if args.json:
        lines = [line for _, line in draft.lines] + ([t.tax_line] if t.tax_line else [])
        print(json.dumps({
            "period": period.label, "plan": args.plan, "country": args.country.upper(), "currency": t.currency,
            "lines": [{"kind": ln.kind, "resource_kind": ln.resource_kind, "meter": ln.meter,
                       "description": ln.description, "quantity": decimal_text(to_decimal(ln.quantity)),
                       "unit_price_cents": decimal_text(to_decimal(ln.unit_price_cents, 12)),
                       "amount_cents": ln.amount_cents} for ln in lines],
            "subtotal_cents": t.subtotal_cents, "tax_cents": t.tax_cents, "total_cents": t.total_cents,
        }, indent=2))
    else:
        rows = [(ln.description, to_decimal(ln.quantity), to_decimal(ln.unit_price_cents, 12), ln.amount_cents)
                for _, ln in draft.lines]
        print(render_invoice(f"Quote: plan {args.plan}, {period.label}, {args.country.upper()}", t.currency,
                             rows, t.subtotal_cents, t.tax_cents, t.total_cents,
                             t.tax_line.description if t.tax_line else "tax"))
    return 0


def cmd_demo(args) -> int:
    from arcadia_pipelines.demo.run import run_demo

    return run_demo()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="arcadia-pipelines", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade every table in ARCADIA_WAREHOUSE_URL"
                   ).set_defaults(fn=cmd_migrate)
    r = sub.add_parser("rollup", help="run monthly_invoicing for one month on the DAGSTER_HOME instance")
    r.add_argument("--period", type=_period, required=True, help="YYYY-MM")
    r.add_argument("--force", action="store_true", help="recompute draft invoices in place")
    r.set_defaults(fn=cmd_rollup)
    q = sub.add_parser("quote", help="a provisioning-time quote from the invoicing engine")
    q.add_argument("--plan", required=True)
    q.add_argument("--addon", type=_addon, action="append", default=[], metavar="CODE[=QTY]")
    q.add_argument("--usage", type=_usage, action="append", default=[], metavar="METER=QTY")
    q.add_argument("--period", type=_period, help="YYYY-MM (default: this month)")
    q.add_argument("--country", default="AU", help="ISO 3166 alpha-2 (default AU)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(fn=cmd_quote)
    sub.add_parser("demo", help="run April 2026 on an embedded demo warehouse and print the invoices"
                   ).set_defaults(fn=cmd_demo)
    from arcadia_pipelines.api.cli import add_commands as add_api_commands
    add_api_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (CliError, BillingError, ValueError) as e:
        print(f"arcadia-pipelines {args.command}: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a database or Dagster failure still gets one readable line
        print(f"arcadia-pipelines {args.command}: error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
