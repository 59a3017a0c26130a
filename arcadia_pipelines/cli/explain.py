"""`arcadia-pipelines explain NUMBER|ID [--json]`: each line of an invoice with the usage evidence
behind it (monthend/explain.py), read from the warehouse, as text for the terminal."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.cli.common import examples
from arcadia_pipelines.cli.handles import invoice_handle, resolve
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "explain"
ABOUT = "Show why an invoice says what it says: each line with the metered usage behind it."
EXAMPLE = "explain INV-000001"
UNITS = {"droplet_hours": "h", "volume_gb_hours": "GB-h"}
SHOWN_IDS = 5  # resource ids listed per group of like intervals


def cmd_explain(args) -> int:
    from arcadia_pipelines.monthend.explain import explain_invoice

    with open_warehouse(existing=True) as engine, engine.connect() as conn:
        explained = explain_invoice(conn, resolve(conn, args.invoice))
    print(json.dumps(explained, indent=2) if args.json else render(explained))
    return 0


def _cents(price: str) -> str:
    return f"{price} cent" + ("" if Decimal(price) == 1 else "s")


def _groups(evidence: list[dict]) -> list[str]:
    """Like intervals together: "3 droplets x 720 h = 2160: 91000, 91001, 91002"."""
    from arcadia_pipelines.monthend.explain import exact_text

    groups: dict[tuple, list[str]] = defaultdict(list)
    for e in evidence:
        groups[(e["resource_kind"], Decimal(e["size"]), e["hours"])].append(e["resource_id"])
    lines = []
    for (kind, size, hours), ids in sorted(groups.items(), key=lambda g: (-len(g[1]) * g[0][1] * g[0][2], g[0])):
        what = f"{len(ids)} {kind}{'' if len(ids) == 1 else 's'}"
        each = f"{hours} h" if kind == "droplet" and size == 1 else f"{exact_text(size)} GB x {hours} h"
        shown = ", ".join(ids[:SHOWN_IDS]) + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")
        lines.append(f"{what} x {each} = {exact_text(len(ids) * size * hours)}: {shown}")
    return lines


def render(explained: dict) -> str:
    """`explain`'s text: each line with its amount, an overage line with its arithmetic and evidence."""
    inv = explained["invoice"]
    number = f" {inv['number']}" if inv.get("number") else ""
    out = [(f"Invoice {inv['id']}{number} ({inv['status']}): {inv['tenant_id']}, {inv['period_start'][:7]}, "
            f"{inv['currency']}")]
    if inv.get("held_reason"):
        out.append(f"  held back, not issuable until its input is fixed and the month re-run: {inv['held_reason']}")
    width = max((len(ln["description"]) for ln in explained["lines"] if ln["kind"] != "overage"), default=0)
    for ln in explained["lines"]:
        amount = format_cents(ln["amount_cents"])
        s = ln["summary"]
        if s is None:
            out.append(f"  {ln['description']:<{width}}  {amount:>10}")
            continue
        unit = UNITS.get(ln["meter"], "")
        out.append(f"  {ln['description']}  {s['overage_quantity']} {unit} x {_cents(s['unit_price_cents'])} "
                   f"= {amount}")
        out += [f"    {g}" for g in _groups(ln["evidence"])]
        if len({(e["size"], e["hours"]) for e in ln["evidence"]}) > 1:
            out.append(f"    total {s['usage']} {unit} used, {s['included']} included")
        if ln["note"]:
            out.append(f"    note: {ln['note']}")
    out.append(f"  subtotal {format_cents(inv['subtotal_cents'])} + tax {format_cents(inv['tax_cents'])} "
               f"= total {inv['currency']} {format_cents(inv['total_cents'])}")
    return "\n".join(out)


def register(sub) -> None:
    p = sub.add_parser(VERB, help=ABOUT, epilog=examples(EXAMPLE, "explain 3", "explain INV-000001 --json"),
                       description=ABOUT + " An overage line shows its arithmetic and the metered intervals "
                       "behind it (usage_evidence), like ones grouped by size and hours; plan, addon and tax "
                       "lines are not metered. Numbers and ids are in `GET /api/v1/invoices` or the tenant_invoices table.")
    p.add_argument("invoice", type=invoice_handle, metavar="NUMBER|ID",
                   help="the invoice's number (INV-000001) or id (a draft has no number yet)")
    p.add_argument("--json", action="store_true", help="print JSON (each line as the API's line usage answer)")
    p.set_defaults(fn=cmd_explain)
