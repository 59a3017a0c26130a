"""arcadia-pipelines: month-end billing from the command line.

Every verb answers a failure with exactly one line on stderr (what is wrong and what to do) and a
non-zero exit; Dagster's own output goes to the run's event log, and anything else a library
writes to stderr goes to arcadia-pipelines.log in DAGSTER_HOME (or the temporary folder)."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import TextIO

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.money import decimal_text, exact, to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.error_lines import exception_line, one_line, underlying

PROG = "arcadia-pipelines"
LOG_NAME = "arcadia-pipelines.log"
QUOTE_EXAMPLE = "quote --plan studio --addon storage_50gb --usage droplet_hours=2160 --period 2026-04"
# (verb, one sentence, example) for the top-level --help
VERBS = [
    ("migrate", "Create or upgrade every table in the warehouse (ARCADIA_WAREHOUSE_URL).", "migrate"),
    ("rollup", "Invoice one month through Dagster's monthly_invoicing job on the DAGSTER_HOME instance.",
     "rollup --period 2026-04"),
    ("quote", "Price a plan, addons and expected usage for a whole month, as its invoice would.", QUOTE_EXAMPLE),
    ("preview", "Preview a tenant's invoice for the running month: usage metered so far, and projected to month end.",
     "preview --tenant pilot --as-of 2026-04-15T23:59:59Z"),
    ("demo", "Invoice April 2026 on an embedded demo warehouse and print the invoices and costs.", "demo"),
    ("api", "Serve the invoice API over HTTP.", "api --port 8080"),
    ("api-key", "Create, list or revoke invoice API keys.",
     "api-key create --role tenant --tenant pilot"),
    ("invoice", "Write an invoice's PDF (a tax invoice once issued) or CSV.", "invoice pdf 1 -o INV-000001.pdf"),
    ("credit-note", "Suggest the credit note that corrects an invoice whose data changed after invoicing, or "
     "write a note's PDF or CSV.", "credit-note suggest 3 --json"),
    ("explain", "Show why an invoice says what it says: each line with the metered usage behind it.", "explain 1"),
    ("webhooks", "Push invoice events to finance endpoints, signed and retried: add, list, disable, rotate-secret, "
     "redeliver, deliver.", "webhooks add --url https://ledger.example.com/arcadia"),
]


class CliError(Exception):
    """A one-line reason for the user."""


class Parser(argparse.ArgumentParser):
    """Usage errors as one line naming the problem and where help is, not a usage block."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)  # examples as written
        if kwargs.get("description"):
            kwargs["description"] = textwrap.fill(kwargs["description"], 100)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {one_line(message)}; see '{self.prog} --help'\n")


def examples(*lines: str) -> str:
    return "example:\n" + "\n".join(f"  {PROG} {line}" for line in lines)


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _shards(text: str) -> int:
    from arcadia_pipelines.monthend.shards import MAX_SHARDS

    if not text.isdigit() or not 1 <= int(text) <= MAX_SHARDS:
        raise argparse.ArgumentTypeError(f"--shards takes a whole number from 1 to {MAX_SHARDS}, got {text!r}")
    return int(text)


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


def _country(text: str) -> str:
    import pycountry

    code = text.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 3166-1 alpha-2 country code (e.g. AU, NZ, US)")
    return code


def cmd_migrate(args) -> int:
    from arcadia_pipelines.warehouse.engine import create_warehouse_engine, redacted
    from arcadia_pipelines.warehouse.migrate import upgrade

    engine = create_warehouse_engine()
    print(f"warehouse {redacted(str(engine.url.render_as_string(hide_password=False)))} "
          f"is at schema revision {upgrade(engine)}")
    return 0


def cmd_rollup(args) -> int:
    from arcadia_pipelines.instance import open_instance
    from arcadia_pipelines.monthend.progress import reporting_to, terminal
    from arcadia_pipelines.runs import failure_reason, run_monthly_invoicing

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


def _known(versions, period: Period) -> list[str]:
    """Codes with a price version effective on or before the month's first day."""
    return sorted(code for code in versions.by_code if versions.at(code, period.start) is not None)


def _require_priced(book, period: Period, plan: str, addons: list[tuple[str, int]]) -> None:
    """An unknown plan or addon named together with the ones the month has."""
    for kind, versions, codes in (("plan", book.plans, [plan]), ("addon", book.addons, [a for a, _ in addons])):
        for code in codes:
            if versions.at(code, period.start) is None:
                known = _known(versions, period)
                have = (f"{kind}s priced for {period.label}: {', '.join(known)}" if known
                        else f"no {kind} is priced for {period.label} (is ARCADIA_WAREHOUSE_URL the warehouse "
                             "you meant?)")
                raise CliError(f"unknown {kind} {code!r} for {period.label}; {have}")


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
    _require_priced(book, period, args.plan, args.addon)
    try:
        draft = provisioning_quote(book, period, args.plan, args.addon, dict(args.usage), args.country)
    except BillingError as e:  # the quote's own tenant and subscription ids would only confuse
        raise CliError(f"{e.rule}: {e.message}") from None
    rate = book.tax_rate(args.country, period.start)
    note = None if rate else f"{args.country} has no tax rate for {period.label}: quoted without tax"
    t = draft.totals
    if args.json:
        lines = [line for _, line in draft.lines] + ([t.tax_line] if t.tax_line else [])
        print(json.dumps({
            "period": period.label, "plan": args.plan, "country": args.country, "currency": t.currency,
            "lines": [{"kind": ln.kind, "resource_kind": ln.resource_kind, "meter": ln.meter,
                       "description": ln.description, "quantity": decimal_text(to_decimal(ln.quantity)),
                       "unit_price_cents": decimal_text(to_decimal(ln.unit_price_cents, 12)),
                       "amount_cents": ln.amount_cents} for ln in lines],
            "subtotal_cents": t.subtotal_cents, "tax_cents": t.tax_cents, "total_cents": t.total_cents,
            "tax_rate": decimal_text(to_decimal(rate.rate, 12)) if rate else None,
            "tax_name": rate.name if rate else None, "tax_note": note,
        }, indent=2))
    else:
        rows = [(ln.description, to_decimal(ln.quantity), to_decimal(ln.unit_price_cents, 12), ln.amount_cents)
                for _, ln in draft.lines]
        print(render_invoice(f"Quote: plan {args.plan}, {period.label}, {args.country}", t.currency,
                             rows, t.subtotal_cents, t.tax_cents, t.total_cents,
                             t.tax_line.description if t.tax_line else "tax (none)"))
        if note:
            print(f"note: {note}")
    return 0


def cmd_demo(args) -> int:
    from arcadia_pipelines.demo.run import run_demo

    if run_demo() != 0:
        raise CliError("a demo run failed: its FAILED line above says why")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0],
               epilog="examples:\n" + "\n".join(f"  {PROG} {ex}" for _, _, ex in VERBS)
               + f"\n\nEach verb has its own help, e.g. '{PROG} quote --help'.")
    sub = p.add_subparsers(dest="command", required=True, metavar="VERB")
    about = {verb: sentence for verb, sentence, _ in VERBS}

    sub.add_parser("migrate", help=about["migrate"], epilog=examples("migrate"),
                   description=about["migrate"] + " Idempotent; every run also does it."
                   ).set_defaults(fn=cmd_migrate)

    r = sub.add_parser("rollup", help=about["rollup"],
                       description=about["rollup"] + " The run shows in the Dagster UI. A re-run skips tenants "
                       "already invoiced; --force recomputes draft invoices in place.",
                       epilog=examples("rollup --period 2026-04", "rollup --period 2026-04 --force",
                                        "rollup --period 2026-04 --shards 2"))
    r.add_argument("--period", type=_period, required=True, metavar="YYYY-MM", help="the month")
    r.add_argument("--force", action="store_true", help="recompute draft invoices in place")
    r.add_argument("--shards", type=_shards, default=1, metavar="K",
                   help="write each stage as K tenant shards in parallel processes (Dagster's multiprocess "
                        "executor; for large PostgreSQL months; default 1: one process)")
    r.set_defaults(fn=cmd_rollup)

    q = sub.add_parser("quote", help=about["quote"],
                       description=about["quote"] + " Prices come from the warehouse's price book for that month.",
                       epilog=examples(QUOTE_EXAMPLE, "quote --plan starter --country NZ --json"))
    q.add_argument("--plan", required=True, metavar="CODE", help="plan code")
    q.add_argument("--addon", type=_addon, action="append", default=[], metavar="CODE[=QTY]",
                   help="an addon, repeatable")
    q.add_argument("--usage", type=_usage, action="append", default=[], metavar="METER=QTY",
                   help="expected usage of a meter for the month, repeatable (e.g. droplet_hours=2160)")
    q.add_argument("--period", type=_period, metavar="YYYY-MM", help="the month (default: this month)")
    q.add_argument("--country", type=_country, default="AU", metavar="CC",
                   help="ISO 3166-1 alpha-2 code for tax (default AU)")
    q.add_argument("--json", action="store_true", help="print JSON instead of a table")
    q.set_defaults(fn=cmd_quote)

    from arcadia_pipelines.preview_cli import add_commands as add_preview_commands
    add_preview_commands(sub)

    sub.add_parser("demo", help=about["demo"], epilog=examples("demo"),
                   description=about["demo"] + " With DAGSTER_HOME set the runs stay in that instance."
                   ).set_defaults(fn=cmd_demo)

    from arcadia_pipelines.api.cli import add_commands as add_api_commands
    add_api_commands(sub)
    from arcadia_pipelines.credit_note_cli import add_commands as add_credit_note_commands
    add_credit_note_commands(sub)
    from arcadia_pipelines.documents.cli import add_commands as add_invoice_commands
    add_invoice_commands(sub)
    from arcadia_pipelines.explain_cli import add_commands as add_explain_commands
    add_explain_commands(sub)
    from arcadia_pipelines.webhooks.cli_verb import add_commands as add_webhooks_commands
    add_webhooks_commands(sub)
    return p


@contextmanager
def stray_output_to_log() -> Iterator[TextIO]:
    """While a verb runs, file descriptor 2 (banners, warnings, a driver's own prints) goes to the
    log; yields the terminal's stderr for the verb's own lines."""
    log = Path(os.environ.get("DAGSTER_HOME") or tempfile.gettempdir()) / LOG_NAME
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "a") as f:
        os.dup2(f.fileno(), 2)
    terminal = os.fdopen(os.dup(saved), "w", buffering=1)
    try:
        yield terminal
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        terminal.close()


def _run(args) -> tuple[int, str | None]:
    """The verb's exit code and, on failure, its one line."""
    try:
        return args.fn(args), None
    except (CliError, BillingError, ValueError) as e:
        return 1, one_line(str(e))
    except KeyboardInterrupt:
        return 130, "interrupted"
    except BrokenPipeError:  # the reader (e.g. `| head`) has gone: nothing to tell it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141, None
    except Exception as e:  # a database or Dagster failure still gets one readable line
        return 1, exception_line(underlying(e))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verb = " ".join(filter(None, [args.command, getattr(args, "verb", None)]))
    if args.command == "api":      # a server: its own logs belong on the terminal
        args.stderr = sys.stderr
        code, line = _run(args)
    else:
        with stray_output_to_log() as terminal:
            args.stderr = terminal
            code, line = _run(args)
    if line:
        print(f"{PROG} {verb}: error: {line}", file=sys.stderr)
    if argv is None:  # the program itself, about to exit
        # The interpreter's last garbage collections would walk the ~200,000 objects Dagster
        # leaves behind, half a second of every command's time; leave them to process exit.
        gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(main())
