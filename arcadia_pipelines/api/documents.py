"""`GET /api/v1/invoices/{id}/pdf` and `/csv`: the invoice's documents, scoped exactly like the
invoice (another tenant's is a 404). The supplier's details are read from the environment at each
request; a tax invoice without them is a 503 naming the variables to set."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from arcadia_pipelines.billing.lifecycle import InvoiceNotFound
from arcadia_pipelines.documents.invoice_csv import render_invoice_csv
from arcadia_pipelines.documents.invoice_data import InvoiceDocument, load_invoice_document
from arcadia_pipelines.documents.invoice_pdf import DocumentError, render_invoice_pdf
from arcadia_pipelines.documents.supplier import Supplier

from .auth import principal
from .engines import ApiEngines
from .errors import ApiError
from .params import invoice_id


def file_name(doc: InvoiceDocument, extension: str) -> str:
    return f"{doc.number or f'invoice-{doc.id}-{doc.status}'}.{extension}"


def _pdf(doc: InvoiceDocument) -> tuple[bytes, str]:
    try:
        return render_invoice_pdf(doc, Supplier.from_env()), "application/pdf"
    except DocumentError as e:
        raise ApiError(503, str(e), "not_configured") from None


def _csv(doc: InvoiceDocument) -> tuple[bytes, str]:
    return render_invoice_csv(doc).encode(), "text/csv; charset=utf-8"


def document_routes(db: ApiEngines) -> list[Route]:
    def endpoint(render, extension: str):
        def get(request: Request) -> Response:
            who = principal(request, db.reads)
            wanted = invoice_id(request.path_params["id"])
            with db.reads.connect() as conn:
                try:
                    doc = load_invoice_document(conn, wanted, who.scope)
                except InvoiceNotFound:
                    raise ApiError(404, "no such invoice") from None
            body, media_type = render(doc)
            return Response(body, media_type=media_type,
                            headers={"Content-Disposition": f'attachment; filename="{file_name(doc, extension)}"'})
        return get

    return [Route("/api/v1/invoices/{id}/pdf", endpoint(_pdf, "pdf"), methods=["GET"]),
            Route("/api/v1/invoices/{id}/csv", endpoint(_csv, "csv"), methods=["GET"])]
