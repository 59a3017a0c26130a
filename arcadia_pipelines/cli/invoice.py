"""`arcadia-pipelines invoice pdf|csv ID -o FILE`: an invoice's documents (documents/) from the warehouse."""

from __future__ import annotations

from arcadia_pipelines.cli.common import WAREHOUSE_MEANT, CliError, examples, positive_id
from arcadia_pipelines.cli.output import write_document
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "invoice"
ABOUT = "Write an invoice's PDF (a tax invoice once issued) or CSV."
EXAMPLE = "invoice pdf 1 -o INV-000001.pdf"


def _document(args) -> bytes:
    from arcadia_pipelines.documents.invoice_csv import render_invoice_csv
    from arcadia_pipelines.documents.invoice_data import load_invoice_document
    from arcadia_pipelines.documents.invoice_pdf import DocumentError, render_invoice_pdf
    from arcadia_pipelines.documents.supplier import Supplier
    from arcadia_pipelines.warehouse.invoice_moves import InvoiceNotFound

    try:
        with open_warehouse(read_only=True) as engine, engine.connect() as conn:
            doc = load_invoice_document(conn, args.id)
    except InvoiceNotFound:
        raise CliError(f"invoice {args.id} does not exist ({WAREHOUSE_MEANT})") from None
    if args.format == "csv":
        return render_invoice_csv(doc).encode()
    try:
        return render_invoice_pdf(doc, Supplier.from_env())
    except DocumentError as e:
        raise CliError(str(e)) from None


def cmd_invoice_document(args) -> int:
    write_document(args, _document(args))
    return 0


def register(sub) -> None:
    i = sub.add_parser(VERB, help=ABOUT, description=ABOUT + " Supplier details come from "
                       "ARCADIA_SUPPLIER_NAME, ARCADIA_SUPPLIER_ADDRESS and ARCADIA_SUPPLIER_ABN.",
                       epilog=examples(EXAMPLE, "invoice csv 1 -o INV-000001.csv"))
    verbs = i.add_subparsers(dest="verb", required=True, metavar="VERB")
    for fmt, what in (("pdf", "the invoice as PDF; drafts are marked not a tax invoice"),
                      ("csv", "the invoice's lines as CSV, exact amounts")):
        v = verbs.add_parser(fmt, help=what, description=f"Write {what}.",
                             epilog=examples(f"invoice {fmt} 1 -o INV-000001.{fmt}"))
        v.add_argument("id", type=positive_id("an invoice"), help="invoice id (tenant_invoices.id, as in the API)")
        v.add_argument("-o", "--output", required=fmt == "pdf", default="-", metavar="FILE",
                       help="file to write" + (" ('-' for stdout)" if fmt == "pdf" else " (default: stdout)"))
        v.set_defaults(fn=cmd_invoice_document, format=fmt)
