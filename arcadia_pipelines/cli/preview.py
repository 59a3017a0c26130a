"""`arcadia-pipelines preview --tenant ID [--as-of TIMESTAMP] [--json]`: a tenant's running month,
metered so far and projected to its end (monthend/preview.py), never stored."""

from __future__ import annotations

import argparse
import json

from arcadia_pipelines.cli.common import WAREHOUSE_MEANT, CliError, examples
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "preview"
ABOUT = ("Preview a tenant's invoice for the running month: usage metered so far, and projected to month "
         "end.")
EXAMPLE = "preview --tenant pilot --as-of 2026-04-15T23:59:59Z"
TITLES = {"metered_so_far": "metered so far (usage through as_of)",
          "projected_month_end": "projected to month end (resources running at as_of keep running)"}


def _as_of(text: str):
    from arcadia_pipelines.monthend.preview import parse_as_of

    try:
        return parse_as_of(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("as_of ")) from None


def cmd_preview(args) -> int:
    from arcadia_pipelines.documents.invoice_text import render_invoice
    from arcadia_pipelines.monthend.preview import BadInput, UnknownTenant, preview

    with open_warehouse(existing=True) as engine, engine.connect() as conn:
        try:
            shown = preview(conn, args.tenant, args.as_of).as_json()
        except UnknownTenant as e:
            raise CliError(f"{e} ({WAREHOUSE_MEANT})") from None
        except BadInput as e:
            raise CliError(f"{e}; the month-end would not invoice this tenant either: fix the data") from None
    if args.json:
        print(json.dumps(shown, indent=2))
        return 0
    print(f"Preview: {shown['tenant_id']}, {shown['period']}, as of {shown['as_of']} (not an invoice; nothing stored)")
    for label, title in TITLES.items():
        inv = shown[label]
        if not inv["lines"]:
            print(f"{title}: nothing billable in {shown['period']}")
            continue
        tax = [ln["description"] for ln in inv["lines"] if ln["kind"] == "tax"]
        print(render_invoice(title, inv["currency"], [
            (ln["description"], ln["quantity"], ln["unit_price_cents"], ln["amount_cents"])
            for ln in inv["lines"] if ln["kind"] != "tax"],
            inv["subtotal_cents"], inv["tax_cents"], inv["total_cents"], tax[0] if tax else "tax (none)"))
    return 0


def register(sub) -> None:
    p = sub.add_parser(VERB, help=ABOUT, epilog=examples(EXAMPLE, "preview --tenant pilot --json"),
                       description=ABOUT + " Computed by the month-end's own engine from the warehouse's current "
                       "data; plan and addon fees are the whole month's. As of the month's last instant "
                       "(e.g. 2026-04-30T23:59:59.999999Z) both equal the month's invoice.")
    p.add_argument("--tenant", required=True, metavar="ID", help="the tenant's id")
    p.add_argument("--as-of", type=_as_of, metavar="TIMESTAMP",
                   help="ISO 8601 instant, UTC unless it has an offset (default: now); its UTC month is previewed")
    p.add_argument("--json", action="store_true", help="print JSON (as the API answers) instead of tables")
    p.set_defaults(fn=cmd_preview)
