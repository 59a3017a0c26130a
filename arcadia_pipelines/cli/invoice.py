"""`arcadia-pipelines invoice pdf|csv NUMBER|ID [-o FILE]`: an invoice's documents (documents/) from
the warehouse, named INV-000001.pdf (draft-ID.pdf for a draft) unless -o says otherwise."""

from __future__ import annotations

from arcadia_pipelines.cli.common import examples
from arcadia_pipelines.cli.handles import invoice_handle
from arcadia_pipelines.cli.output import write_document

VERB = "invoice"
ABOUT = "Write an invoice's PDF (a tax invoice once issued) or CSV."
EXAMPLE = "invoice pdf INV-000001"


def cmd_invoice_document(args) -> int:
    from arcadia_pipelines.documents.invoice_csv import render_invoice_csv
    from arcadia_pipelines.documents.invoice_data import load_invoice_document
    from arcadia_pipelines.documents.invoice_pdf import render_invoice_pdf
    from arcadia_pipelines.billing.lifecycle import InvoiceNotFound

    write_document(args, args.invoice, load_invoice_document, InvoiceNotFound, render_invoice_csv, render_invoice_pdf)
    return 0


def register(sub) -> None:
    i = sub.add_parser(VERB, help=ABOUT, description=ABOUT + " Supplier details come from "
                       "ARCADIA_SUPPLIER_NAME, ARCADIA_SUPPLIER_ADDRESS and ARCADIA_SUPPLIER_ABN.",
                       epilog=examples(EXAMPLE, "invoice csv INV-000001 -o -", "invoice pdf 3"))
    verbs = i.add_subparsers(dest="verb", required=True, metavar="VERB")
    for fmt, what in (("pdf", "the invoice as PDF; drafts are marked not a tax invoice"),
                      ("csv", "the invoice's lines as CSV, exact amounts")):
        v = verbs.add_parser(fmt, help=what, description=f"Write {what}. The file is named after the invoice's "
                             f"number (INV-000001.{fmt}) unless -o says otherwise; a draft, which has no number "
                             f"yet, is named by its id and written to draft-ID.{fmt}.",
                             epilog=examples(f"invoice {fmt} INV-000001", f"invoice {fmt} INV-000001 -o april.{fmt}",
                                             f"invoice {fmt} 3"))
        v.add_argument("invoice", type=invoice_handle, metavar="NUMBER|ID",
                       help="the invoice's number (INV-000001) or id (tenant_invoices.id, as in the API; drafts)")
        v.add_argument("-o", "--output", metavar="FILE",
                       help=f"file to write, '-' for stdout (default: NUMBER.{fmt}, or draft-ID.{fmt})")
        v.set_defaults(fn=cmd_invoice_document, format=fmt)
