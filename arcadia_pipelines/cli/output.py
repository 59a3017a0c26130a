"""An invoice's or credit note's document, as `invoice pdf|csv` and `credit-note pdf|csv` write it:
to `-o FILE`, to stdout (`-o -`), or by default to a file named after its number."""

from __future__ import annotations

import sys
from pathlib import Path

from arcadia_pipelines.cli.common import WAREHOUSE_MEANT, CliError
from arcadia_pipelines.cli.handles import Handle, resolve
from arcadia_pipelines.cli.warehouse import open_warehouse


def document_name(number: str | None, row_id: int, fmt: str) -> str:
    """A document's default file name: its number (INV-000001.pdf), or draft-ID.pdf for a draft
    invoice, which has none."""
    return f"{number or f'draft-{row_id}'}.{fmt}"


def write_document(args, handle: Handle, load, not_found: type[Exception], render_csv, render_pdf) -> None:
    """Load what `handle` names (`load(conn, id)`), render it as `args.format` and write it."""
    from arcadia_pipelines.documents.invoice_pdf import DocumentError
    from arcadia_pipelines.documents.supplier import Supplier

    try:
        with open_warehouse(existing=True) as engine, engine.connect() as conn:
            doc = load(conn, resolve(conn, handle))
    except not_found:
        raise CliError(f"{handle.kind} {handle} does not exist ({WAREHOUSE_MEANT})") from None
    try:
        data = render_csv(doc).encode() if args.format == "csv" else render_pdf(doc, Supplier.from_env())
    except DocumentError as e:
        raise CliError(str(e)) from None
    _write(args.output or document_name(doc.number, doc.id, args.format), data, args.stderr)


def _write(path: str, data: bytes, stderr) -> None:
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(path).write_bytes(data)
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror or e}; pick another file with -o") from None
    print(f"wrote {path} ({len(data)} bytes)", file=stderr)
