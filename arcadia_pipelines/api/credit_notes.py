"""Credit notes over HTTP.

`POST /api/v1/invoices/{id}/credit_notes` (platform_admin keys): body
`{"reason": "...", "lines": [{"line_id": N, "amount_cents": M}, ...], "purpose": "correction"}`, no
`lines` = everything that remains creditable, no `purpose` = a correction (`goodwill`: a concession
that drift after invoicing leaves out); 201 with the note. `GET /api/v1/invoices/{id}/credit_notes` and
`GET /api/v1/credit_notes/{id}` (and its `/pdf` and `/csv`), scoped like invoices (another tenant's
is a 404). The rules are
billing/credit_notes.py's; a note is made in one transaction on the moves engine, with the
invoice's row locked, so a lock held too long is a 503 `busy`, never a 500 (engines.py).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from arcadia_pipelines.billing.credit_notes import (
    CORRECTION,
    CreditRefused,
    InvalidCreditRequest,
    LineCredit,
    NotCreditable,
    UnknownLine,
)
from arcadia_pipelines.billing.lifecycle import InvoiceNotFound
from arcadia_pipelines.documents.credit_note import (
    load_credit_note_document,
    render_credit_note_csv,
    render_credit_note_pdf,
)
from arcadia_pipelines.documents.invoice_pdf import DocumentError
from arcadia_pipelines.documents.supplier import Supplier
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.warehouse.credit_notes import CreditNoteNotFound, get_credit_note, list_credit_notes

from .auth import principal
from .engines import ApiEngines
from .errors import ApiError, log
from .keys import Principal
from .params import MAX_ID, invoice_id

MAX_BODY_BYTES = 64 * 1024
BODY_KEYS, LINE_KEYS = ("reason", "lines", "purpose"), ("line_id", "amount_cents")


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def note_json(note: dict) -> dict:
    return {k: [note_json(ln) for ln in v] if k == "lines" else _json_value(v) for k, v in note.items()}


def _refused(e: CreditRefused) -> ApiError:
    if isinstance(e, InvalidCreditRequest):
        return ApiError(400, str(e), "invalid_credit_note")
    if isinstance(e, UnknownLine):
        return ApiError(404, str(e))
    return ApiError(409, str(e), "not_creditable" if isinstance(e, NotCreditable) else "over_credit")


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")  # Python's json would take NaN and Infinity


async def _read_json(request: Request) -> object:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, f"the body is over {MAX_BODY_BYTES} bytes", "payload_too_large")
    try:
        return json.loads(body, parse_constant=_not_json)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "the body is not a JSON object; send {\"reason\": \"...\", \"lines\": [...]}",
                       "invalid_json") from None


def _whole(value: object) -> bool:
    return type(value) is int


def parse_request(body: object) -> tuple[str, list[LineCredit] | None, object]:
    """(reason, line credits or None for everything that remains, purpose); 400 for anything else
    (a purpose other than the core's is refused by the core, also a 400)."""
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object with reason and, optionally, lines", "invalid_json")
    unknown = sorted(set(body) - set(BODY_KEYS))
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0][:40]!r}; expected {', '.join(BODY_KEYS)}",
                       "invalid_credit_note")
    reason, lines, purpose = body.get("reason"), body.get("lines"), body.get("purpose", CORRECTION)
    if not isinstance(reason, str):
        raise ApiError(400, "reason is required: why the invoice is credited, as text", "invalid_credit_note")
    if lines is None:
        return reason, None, purpose
    if not isinstance(lines, list):
        raise ApiError(400, "lines must be a list of {line_id, amount_cents}", "invalid_credit_note")
    credits = []
    for n, item in enumerate(lines, 1):
        if not (isinstance(item, dict) and set(item) == set(LINE_KEYS) and _whole(item["line_id"])
                and 1 <= item["line_id"] <= MAX_ID and _whole(item["amount_cents"])):
            raise ApiError(400, f"lines[{n}] must be {{\"line_id\": a line's id, \"amount_cents\": whole cents}}",
                           "invalid_credit_note")
        credits.append(LineCredit(item["line_id"], item["amount_cents"]))
    return reason, credits, purpose


def _note_id(text: str) -> int:
    try:
        return invoice_id(text)
    except ApiError:
        raise ApiError(404, "no such credit note") from None


def credit_note_routes(db: ApiEngines) -> list[Route]:
    def create(who: Principal, wanted: int, reason: str, credits: list[LineCredit] | None, purpose: object) -> dict:
        with db.moves.begin() as conn:
            try:
                return create_credit_note(conn, wanted, reason, credits, datetime.now(timezone.utc), who.key_id,
                                          purpose)
            except InvoiceNotFound:
                raise ApiError(404, "no such invoice") from None
            except CreditRefused as e:
                raise _refused(e) from None

    async def post_note(request: Request) -> JSONResponse:
        who = await run_in_threadpool(principal, request, db.reads, True)
        wanted = invoice_id(request.path_params["id"])
        reason, credits, purpose = parse_request(await _read_json(request))
        note = await run_in_threadpool(create, who, wanted, reason, credits, purpose)
        log.info("credit note %s on invoice %s: %s cents (api key %s)", note["number"], wanted, note["total_cents"],
                 who.key_id)
        return JSONResponse({"data": note_json(note)}, status_code=201)

    def list_notes(request: Request) -> JSONResponse:
        who = principal(request, db.reads)
        wanted = invoice_id(request.path_params["id"])
        with db.reads.connect() as conn:
            try:
                notes = list_credit_notes(conn, wanted, who.scope)
            except InvoiceNotFound:
                raise ApiError(404, "no such invoice") from None
        return JSONResponse({"data": [note_json(n) for n in notes]})

    def show_note(request: Request) -> JSONResponse:
        who = principal(request, db.reads)
        wanted = _note_id(request.path_params["id"])
        with db.reads.connect() as conn:
            try:
                return JSONResponse({"data": note_json(get_credit_note(conn, wanted, who.scope))})
            except CreditNoteNotFound:
                raise ApiError(404, "no such credit note") from None

    def document(extension: str):
        def get(request: Request) -> Response:
            who = principal(request, db.reads)
            wanted = _note_id(request.path_params["id"])
            with db.reads.connect() as conn:
                try:
                    doc = load_credit_note_document(conn, wanted, who.scope)
                except CreditNoteNotFound:
                    raise ApiError(404, "no such credit note") from None
            if extension == "csv":
                body, media_type = render_credit_note_csv(doc).encode(), "text/csv; charset=utf-8"
            else:
                try:
                    body, media_type = render_credit_note_pdf(doc, Supplier.from_env()), "application/pdf"
                except DocumentError as e:
                    raise ApiError(503, str(e), "not_configured") from None
            return Response(body, media_type=media_type,
                            headers={"Content-Disposition": f'attachment; filename="{doc.number}.{extension}"'})
        return get

    return [Route("/api/v1/invoices/{id}/credit_notes", post_note, methods=["POST"]),
            Route("/api/v1/invoices/{id}/credit_notes", list_notes, methods=["GET"]),
            Route("/api/v1/credit_notes/{id}", show_note, methods=["GET"]),
            Route("/api/v1/credit_notes/{id}/pdf", document("pdf"), methods=["GET"]),
            Route("/api/v1/credit_notes/{id}/csv", document("csv"), methods=["GET"])]
