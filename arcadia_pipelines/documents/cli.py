"""`arcadia-pipelines invoice pdf|csv ID -o FILE`: an invoice's documents from the warehouse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from arcadia_pipelines.cli import VERBS, CliError, examples


def _invoice_id(text: str) -> int:
    if not (text.isdigit() and 1 <= int(text) < 2**63):
        raise argparse.ArgumentTypeError(f"an invoice id is a positive whole number, got {text!r}")
    return int(text)


def _document(args, fmt: str) -> bytes:
    from arcadia_pipelines.documents.invoice_csv import render_invoice_csv
    from arcadia_pipelines.documents.invoice_data import load_invoice_document
    from arcadia_pipelines.documents.invoice_pdf import DocumentError, render_invoice_pdf
    from arcadia_pipelines.documents.supplier import Supplier
    from arcadia_pipelines.warehouse.engine import create_warehouse_engine
    from arcadia_pipelines.billing.lifecycle import InvoiceNotFound
    from arcadia_pipelines.warehouse.migrate import upgrade

    engine = create_warehouse_engine()
    try:
        upgrade(engine)
        with engine.connect() as conn:
            doc = load_invoice_document(conn, args.id)
    except InvoiceNotFound:
        raise CliError(f"invoice {args.id} does not exist (is ARCADIA_WAREHOUSE_URL the warehouse you meant?)"
                       ) from None
    finally:
        engine.dispose()
    if fmt == "csv":
        return render_invoice_csv(doc).encode()
    try:
        return render_invoice_pdf(doc, Supplier.from_env())
    except DocumentError as e:
        raise CliError(str(e)) from None


def _write(args, data: bytes) -> None:
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(args.output).write_bytes(data)
    except OSError as e:
        raise CliError(f"cannot write {args.output}: {e.strerror or e}") from None
    print(f"wrote {args.output} ({len(data)} bytes)", file=args.stderr)


def cmd_invoice_pdf(args) -> int:
    _write(args, _document(args, "pdf"))
    return 0


def cmd_invoice_csv(args) -> int:
    _write(args, _document(args, "csv"))
    return 0


def add_commands(sub) -> None:
    """Register `invoice pdf` and `invoice csv` on the top-level subparsers."""
    about = {verb: sentence for verb, sentence, _ in VERBS}["invoice"]
    i = sub.add_parser("invoice", help=about, description=about + " Supplier details come from "
                       "ARCADIA_SUPPLIER_NAME, ARCADIA_SUPPLIER_ADDRESS and ARCADIA_SUPPLIER_ABN.",
                       epilog=examples("invoice pdf 1 -o INV-000001.pdf", "invoice csv 1 -o INV-000001.csv"))
    verbs = i.add_subparsers(dest="verb", required=True, metavar="VERB")
    for fmt, fn, what in (("pdf", cmd_invoice_pdf, "the invoice as PDF; drafts are marked not a tax invoice"),
                          ("csv", cmd_invoice_csv, "the invoice's lines as CSV, exact amounts")):
        v = verbs.add_parser(fmt, help=what, description=f"Write {what}.",
                             epilog=examples(f"invoice {fmt} 1 -o INV-000001.{fmt}"))
        v.add_argument("id", type=_invoice_id, help="invoice id (tenant_invoices.id, as in the API)")
        v.add_argument("-o", "--output", required=fmt == "pdf", default="-", metavar="FILE",
                       help="file to write" + (" ('-' for stdout)" if fmt == "pdf" else " (default: stdout)"))
        v.set_defaults(fn=fn)
