"""The documents of invoices and credit notes: `GET /api/v1/invoices/{id}/pdf` and `/csv`,
`GET /api/v1/credit_notes/{id}/pdf` and `/csv`, each scoped exactly like what it renders (another
tenant's is a 404) and named by its number (a draft invoice, which has none, by its id). The
supplier's details are read from the environment at each request; a PDF without them is a 503
`not_configured` naming the variables to set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from arcadia_pipelines.billing.lifecycle import InvoiceNotFound
from arcadia_pipelines.documents.credit_note import (
    load_credit_note_document,
    render_credit_note_csv,
    render_credit_note_pdf,
)
from arcadia_pipelines.documents.invoice_csv import render_invoice_csv
from arcadia_pipelines.documents.invoice_data import InvoiceDocument, load_invoice_document
from arcadia_pipelines.documents.invoice_pdf import DocumentError, render_invoice_pdf
from arcadia_pipelines.documents.supplier import Supplier
from arcadia_pipelines.warehouse.credit_notes import CreditNoteNotFound

from .auth import reading
from .credit_notes import note_id
from .engines import ApiEngines
from .errors import ApiError
from .params import invoice_id

CSV_MEDIA_TYPE, PDF_MEDIA_TYPE = "text/csv; charset=utf-8", "application/pdf"


@dataclass(frozen=True)
class DocumentKind:
    """What one kind of document is rendered from, and how."""

    path: str  # the resource's path; the documents are at path/pdf and path/csv
    noun: str
    parse_id: Callable[[str], int]
    load: Callable[[sa.Connection, int, str | None], object]
    not_found: type[Exception]
    pdf: Callable[[object, Supplier], bytes]
    csv: Callable[[object], str]
    stem: Callable[[object], str]  # the file name without its extension


def _invoice_stem(doc: InvoiceDocument) -> str:
    return doc.number or f"invoice-{doc.id}-{doc.status}"  # a draft has no number yet


KINDS = (
    DocumentKind("/api/v1/invoices/{id}", "invoice", invoice_id, load_invoice_document, InvoiceNotFound,
                 render_invoice_pdf, render_invoice_csv, _invoice_stem),
    DocumentKind("/api/v1/credit_notes/{id}", "credit note", note_id, load_credit_note_document, CreditNoteNotFound,
                 render_credit_note_pdf, render_credit_note_csv, lambda doc: doc.number),
)


def _rendered(kind: DocumentKind, doc: object, extension: str) -> tuple[bytes, str]:
    if extension == "csv":
        return kind.csv(doc).encode(), CSV_MEDIA_TYPE
    try:
        return kind.pdf(doc, Supplier.from_env()), PDF_MEDIA_TYPE
    except DocumentError as e:
        raise ApiError(503, str(e), "not_configured") from None


def document_routes(db: ApiEngines) -> list[Route]:
    def endpoint(kind: DocumentKind, extension: str):
        def get(request: Request) -> Response:
            with reading(request, db.reads) as (who, conn):
                wanted = kind.parse_id(request.path_params["id"])
                try:
                    doc = kind.load(conn, wanted, who.scope)
                except kind.not_found:
                    raise ApiError(404, f"no such {kind.noun}") from None
            body, media_type = _rendered(kind, doc, extension)
            return Response(body, media_type=media_type,
                            headers={"Content-Disposition": f'attachment; filename="{kind.stem(doc)}.{extension}"'})
        return get

    return [Route(f"{kind.path}/{extension}", endpoint(kind, extension), methods=["GET"])
            for kind in KINDS for extension in ("pdf", "csv")]
