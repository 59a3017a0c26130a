"""`arcadia-pipelines quote`: price a plan, addons and expected usage for a month, as its invoice would."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from fractions import Fraction

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.money import decimal_text, exact, to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.cli.common import WAREHOUSE_MEANT, CliError, examples, month
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "quote"
ABOUT = "Price a plan, addons and expected usage for a whole month, as its invoice would."
EXAMPLE = "quote --plan studio --addon storage_50gb --usage droplet_hours=2160 --period 2026-04"


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
                        else f"no {kind} is priced for {period.label} ({WAREHOUSE_MEANT})")
                raise CliError(f"unknown {kind} {code!r} for {period.label}; {have}")


def cmd_quote(args) -> int:
    from arcadia_pipelines.billing.provisioning import provisioning_quote
    from arcadia_pipelines.documents.invoice_text import render_invoice
    from arcadia_pipelines.warehouse.reads import load_price_book

    with open_warehouse(existing=True) as engine, engine.connect() as conn:
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


def register(sub) -> None:
    q = sub.add_parser(VERB, help=ABOUT,
                       description=ABOUT + " Prices come from the warehouse's price book for that month.",
                       epilog=examples(EXAMPLE, "quote --plan starter --country NZ --json"))
    q.add_argument("--plan", required=True, metavar="CODE", help="plan code")
    q.add_argument("--addon", type=_addon, action="append", default=[], metavar="CODE[=QTY]",
                   help="an addon, repeatable")
    q.add_argument("--usage", type=_usage, action="append", default=[], metavar="METER=QTY",
                   help="expected usage of a meter for the month, repeatable (e.g. droplet_hours=2160)")
    q.add_argument("--period", type=month, metavar="YYYY-MM", help="the month (default: this month)")
    q.add_argument("--country", type=_country, default="AU", metavar="CC",
                   help="ISO 3166-1 alpha-2 code for tax (default AU)")
    q.add_argument("--json", action="store_true", help="print JSON instead of a table")
    q.set_defaults(fn=cmd_quote)
