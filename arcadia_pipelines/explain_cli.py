"""`arcadia-pipelines explain INVOICE_ID [--json]`: each line of an invoice with the usage evidence
behind it (explain.py), read from the warehouse."""

from __future__ import annotations

import argparse
import json

from arcadia_pipelines.cli import VERBS, examples

ABOUT, EXAMPLE = next((about, example) for verb, about, example in VERBS if verb == "explain")


def _invoice_id(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 2**63):
        raise argparse.ArgumentTypeError(f"must be an invoice's id (a positive whole number), got {text!r}")
    return int(text)


def cmd_explain(args) -> int:
    from arcadia_pipelines.explain import explain_invoice, render
    from arcadia_pipelines.warehouse.engine import create_warehouse_engine
    from arcadia_pipelines.warehouse.migrate import upgrade

    engine = create_warehouse_engine()
    upgrade(engine)
    with engine.connect() as conn:
        explained = explain_invoice(conn, args.invoice_id)
    print(json.dumps(explained, indent=2) if args.json else render(explained))
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("explain", help=ABOUT, epilog=examples(EXAMPLE, "explain 1 --json"),
                       description=ABOUT + " An overage line shows its arithmetic and the metered intervals "
                       "behind it (usage_evidence), like ones grouped by size and hours; plan, addon and tax "
                       "lines are not metered. Ids are in `GET /api/v1/invoices` or the tenant_invoices table.")
    p.add_argument("invoice_id", type=_invoice_id, metavar="INVOICE_ID", help="the invoice's id")
    p.add_argument("--json", action="store_true", help="print JSON (each line as the API's line usage answer)")
    p.set_defaults(fn=cmd_explain)
