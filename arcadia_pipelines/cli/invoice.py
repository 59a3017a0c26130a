"""`arcadia-pipelines invoice pdf|csv NUMBER|ID [-o FILE]`: an invoice's documents (documents/) from
the warehouse, named INV-000001.pdf (draft-ID.pdf for a draft) unless -o says otherwise."""

from __future__ import annotations

from arcadia_pipelines.cli.common import WAREHOUSE_MEANT, CliError, examples
from arcadia_pipelines.cli.handles import document_name, invoice_handle, resolve
from arcadia_pipelines.cli.output import write_document
from arcadia_pipelines.cli.warehouse import open_warehouse

VERB = "invoice"
ABOUT = "Write an invoice's PDF (a tax invoice once issued) or CSV."
EXAMPLE = "invoice pdf INV-000001"


def _document(args) -> tuple[str, bytes]:
    """The document's default file name and its bytes."""
    from arcadia_pipelines.documents.invoice_csv import render_invoice_csv
    from arcadia_pipelines.documents.invoice_data import load_invoice_document
    from arcadia_pipelines.documents.invoice_pdf import DocumentError, render_invoice_pdf
    from arcadia_pipelines.documents.supplier import Supplier
    from arcadia_pipelines.warehouse.invoice_moves import InvoiceNotFound

    try:
        with open_warehouse(existing=True) as engine, engine.connect() as conn:
            doc = load_invoice_document(conn, resolve(conn, args.invoice))
    except InvoiceNotFound:
        raise CliError(f"invoice {args.invoice} does not exist ({WAREHOUSE_MEANT})") from None
    name = document_name(doc.number, doc.id, args.format)
    if args.format == "csv":
        return name, render_invoice_csv(doc).encode()
    try:
        return name, render_invoice_pdf(doc, Supplier.from_env())
    except DocumentError as e:
        raise CliError(str(e)) from None


def cmd_invoice_document(args) -> int:
    write_document(args, *_document(args))
    return 0


def register(sub) -> None:
    i = sub.add_parser(VERB, help=ABOUT, description=ABOUT + " Supplier details come from "
                       "ARCADIA_SUPPLIER_NAME, ARCADIA_SUPPLIER_ADDRESS and ARCADIA_SUPPLIER_ABN.",
                       epilog=examples(EXAMPLE, "invoice csv INV-000001 -o -", "invoice pdf 3"))
    verbs = i.add_subparsers(dest="verb", required=True, metavar="VERB")
    for fmt, what in (("pdf", "the invoice as PDF; drafts are marked not a tax invoice"),
                      ("csv", "the invoice's lines as CSV, exact amounts")):
        v = verbs.add_parser(fmt, help=what, description=f"Write {what}, to INV-000001.{fmt} (its number) in the "
                             f"current folder unless -o says otherwise; a draft, which has no number yet, is "
                             f"named by its id and goes to draft-ID.{fmt}.",
                             epilog=examples(f"invoice {fmt} INV-000001", f"invoice {fmt} INV-000001 -o april.{fmt}",
                                             f"invoice {fmt} 3"))
        v.add_argument("invoice", type=invoice_handle, metavar="NUMBER|ID",
                       help="the invoice's number (INV-000001) or id (tenant_invoices.id, as in the API; drafts)")
        v.add_argument("-o", "--output", metavar="FILE",
                       help=f"file to write, '-' for stdout (default: NUMBER.{fmt}, or draft-ID.{fmt})")
        v.set_defaults(fn=cmd_invoice_document, format=fmt)
