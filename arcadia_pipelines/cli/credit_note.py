"""`arcadia-pipelines credit-note suggest INV-NUMBER|ID [--json]`: the credit note that corrects what
drift after invoicing (monthend/drift.py) found on an issued or paid invoice, as the JSON body to
POST to /api/v1/invoices/{id}/credit_notes, with a summary for people. `credit-note pdf|csv
CN-NUMBER|ID [-o FILE]`: a note's documents (documents/credit_note.py), CN-000001.pdf by default."""

from __future__ import annotations

import json
from dataclasses import dataclass

from arcadia_pipelines.cli.common import WAREHOUSE_MEANT, CliError, examples
from arcadia_pipelines.cli.handles import credit_note_handle, invoice_handle, resolve
from arcadia_pipelines.cli.output import write_document
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "credit-note"
ABOUT = ("Suggest the credit note that corrects an invoice whose data changed after invoicing, or write a note's "
         "PDF or CSV.")
EXAMPLE = "credit-note suggest 3 --json"
API_BASE = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Suggestion:
    body: dict | None  # the request body to POST; None: nothing to credit
    summary: list[str]  # lines for people


def suggest(conn, invoice_id: int) -> Suggestion:
    """What to credit on the invoice so that drift goes away (nothing for drafts, void invoices,
    invoices that match their data, or that are only under-billed)."""
    import sqlalchemy as sa

    from arcadia_pipelines.billing.credit_notes import (
        CreditRefused,
        plan_credit_note,
        suggested_credits,
        why_not_creditable,
    )
    from arcadia_pipelines.billing.lifecycle import InvoiceNotFound
    from arcadia_pipelines.billing.money import format_cents
    from arcadia_pipelines.billing.periods import Period
    from arcadia_pipelines.monthend.drift import period_drift
    from arcadia_pipelines.warehouse.credit_notes import load_creditable
    from arcadia_pipelines.warehouse.schema import tenant_invoices as i

    head = conn.execute(sa.select(i.c.tenant_id, i.c.period_start, i.c.number).where(i.c.id == invoice_id)).first()
    if head is None:
        raise CliError(f"invoice {invoice_id} does not exist ({WAREHOUSE_MEANT})")
    try:
        invoice = load_creditable(conn, invoice_id)
    except InvoiceNotFound:  # gone meanwhile
        raise CliError(f"invoice {invoice_id} does not exist") from None
    period = Period(head.period_start)
    name = f"invoice {invoice_id} ({', '.join(filter(None, [head.number, head.tenant_id, period.label]))})"

    def money(cents: int) -> str:
        return f"{format_cents(cents)} {invoice.currency}"

    why = why_not_creditable(invoice.status, f"'arcadia-pipelines rollup --period {period.label} --force'")
    if why is not None:
        return Suggestion(None, [f"{name} is {invoice.status}: nothing to credit; {why}"])
    report = period_drift(conn, period, [invoice_id])
    if invoice_id in report.not_recomputable:
        raise CliError(f"{name} cannot be recomputed from current data: {report.not_recomputable[invoice_id]}; "
                       "fix the data first")
    drift = next((d for d in report.drifts if d.invoice_id == invoice_id), None)
    if drift is None:
        balance = money(invoice.balance_cents)
        return Suggestion(None, [f"{name} matches its data: nothing to credit (balance {balance})"])
    credits = suggested_credits(invoice, {d.invoice_line_id: -d.difference_cents for d in drift.lines
                                          if d.invoice_line_id is not None and d.difference_cents < 0})
    if not credits:
        return Suggestion(None, [f"{name}: nothing to credit; {drift.action}"])
    reason = (f"{period.label} recomputed from current data after invoicing: over-billed "
              f"{money(sum(c.amount_cents for c in credits))} before tax")
    try:
        plan = plan_credit_note(invoice, reason, credits)
    except CreditRefused as e:
        raise CliError(f"{name}: {e}") from None
    under = (f"; under-billed {money(drift.under_billed_cents)}, which a credit note cannot raise: bill it separately"
             if drift.under_billed_cents else "")
    summary = [(f"{name} is {invoice.status} and no longer matches its data: over-billed "
                f"{money(drift.over_billed_cents)}{under}"),
               "suggested credit note:",
               *(f"  line {ln.invoice_line_id:>6}  {ln.description:<52} {format_cents(ln.amount_cents):>12}"
                 for ln in plan.lines),
               (f"  subtotal {format_cents(plan.subtotal_cents)}, {plan.tax_name or 'tax'} "
                f"{format_cents(plan.tax_cents)}, total {money(plan.total_cents)}; balance after it "
                f"{money(invoice.balance_cents - plan.total_cents)}")]
    body = {"reason": reason, "purpose": "correction",
            "lines": [{"line_id": c.line_id, "amount_cents": c.amount_cents} for c in credits]}
    return Suggestion(body, summary)


def cmd_credit_note_suggest(args) -> int:
    with open_warehouse(existing=True) as engine, engine.connect() as conn:
        invoice_id = resolve(conn, args.invoice)
        found = suggest(conn, invoice_id)
    body = json.dumps(found.body, indent=2) if found.body else None
    if args.json:  # stdout is exactly the body, so it can be piped to curl; people read stderr
        print("\n".join(found.summary), file=args.stderr)
        if body:
            print(body)
        return 0
    print("\n".join(found.summary))
    if body:
        print(f"POST it (platform_admin key): arcadia-pipelines credit-note suggest {args.invoice} --json | curl -s -X POST "
              f"-H \"Authorization: Bearer $ADMIN_KEY\" -H 'Content-Type: application/json' -d @- "
              f"{API_BASE}/api/v1/invoices/{invoice_id}/credit_notes")
        print(body)
    return 0


def cmd_credit_note_document(args) -> int:
    from arcadia_pipelines.documents.credit_note import (
        load_credit_note_document,
        render_credit_note_csv,
        render_credit_note_pdf,
    )
    from arcadia_pipelines.warehouse.credit_notes import CreditNoteNotFound

    write_document(args, args.note, load_credit_note_document, CreditNoteNotFound, render_credit_note_csv,
                   render_credit_note_pdf)
    return 0


def register(sub) -> None:
    c = sub.add_parser(VERB, help=ABOUT, description=ABOUT,
                       epilog=examples("credit-note suggest INV-000001", EXAMPLE, "credit-note pdf CN-000001"))
    verbs = c.add_subparsers(dest="verb", required=True, metavar="VERB")
    s = verbs.add_parser("suggest", help="the note that makes drift after invoicing go away",
                         description="Recompute the invoice's month from current data with the month-end's engine "
                                     "and propose the credit note for every line billed too much, as the JSON body "
                                     "of POST /api/v1/invoices/ID/credit_notes. Nothing to credit (a draft, a void "
                                     "invoice, one that matches its data or is only under-billed) says so and "
                                     "exits 0. Writes nothing.",
                         epilog=examples("credit-note suggest INV-000001", "credit-note suggest 3",
                                         "credit-note suggest INV-000001 --json | curl -s -X POST -H \"Authorization: Bearer "
                                         "$ADMIN_KEY\" -H 'Content-Type: application/json' -d @- "
                                         f"{API_BASE}/api/v1/invoices/3/credit_notes"))
    s.add_argument("invoice", type=invoice_handle, metavar="NUMBER|ID",
                   help="the invoice's number (INV-000001) or id (tenant_invoices.id, as in the API)")
    s.add_argument("--json", action="store_true", help="print only the request body on stdout (summary on stderr)")
    s.set_defaults(fn=cmd_credit_note_suggest)
    for fmt, what in (("pdf", "the note as PDF (an adjustment note when its invoice's tax applies)"),
                      ("csv", "the note's lines as CSV, exact amounts")):
        d = verbs.add_parser(fmt, help=what, description=f"Write {what}. The file is named after the note's "
                             f"number (CN-000001.{fmt}) unless -o says otherwise. Supplier details come from "
                             "ARCADIA_SUPPLIER_NAME, ARCADIA_SUPPLIER_ADDRESS and ARCADIA_SUPPLIER_ABN.",
                             epilog=examples(f"credit-note {fmt} CN-000001", f"credit-note {fmt} CN-000001 -o -"))
        d.add_argument("note", type=credit_note_handle, metavar="NUMBER|ID",
                       help="the credit note's number (CN-000001) or id (credit_notes.id, as in the API)")
        d.add_argument("-o", "--output", metavar="FILE",
                       help=f"file to write, '-' for stdout (default: NUMBER.{fmt})")
        d.set_defaults(fn=cmd_credit_note_document, format=fmt)
