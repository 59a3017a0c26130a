"""Credit notes over HTTP.

`POST /api/v1/invoices/{id}/credit_notes` (platform_admin keys): body
`{"reason": "...", "lines": [{"line_id": N, "amount_cents": M}, ...], "purpose": "correction"}`, no
`lines` = everything that remains creditable, no `purpose` = a correction (`goodwill`: a concession
that drift after invoicing leaves out); 201 with the note. `GET /api/v1/invoices/{id}/credit_notes` and
`GET /api/v1/credit_notes/{id}`, and `GET /api/v1/credit_notes?number=CN-000001` (newest first,
paged like invoices), scoped like invoices (another tenant's is a 404, or not listed); their
documents are documents.py's. The reason is free text checked at the edge (free_text.py). The rules are
billing/credit_notes.py's; a note is made in one transaction on the moves engine, with the
invoice's row locked, so a lock held too long is a 503 `busy`, never a 500 (engines.py).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
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
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.warehouse.credit_notes import (
    CreditNoteNotFound,
    find_credit_notes,
    get_credit_note,
    list_credit_notes,
)

from . import constraints as rules
from .auth import principal, reading
from .constraints import MAX_ID, MAX_REASON_CHARS, conforms, pattern_value
from .engines import ApiEngines
from .errors import ApiError, log
from .free_text import checked_text
from .invoices_repo import json_value
from .keys import Principal
from .params import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    invoice_id,
    limit_param,
    number_param,
    refuse_unexpected,
    tenant_id_param,
)

MAX_BODY_BYTES = 64 * 1024
BODY_KEYS, LINE_KEYS = ("reason", "lines", "purpose"), ("line_id", "amount_cents")
LIST_PARAMS = ("number", "tenant_id", "cursor", "limit")


def note_json(note: dict) -> dict:
    return {k: [note_json(ln) for ln in v] if k == "lines" else json_value(v) for k, v in note.items()}


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
        return json.loads(body, parse_constant=_not_json, parse_float=Decimal)  # money never through float
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "the body is not a JSON object; send {\"reason\": \"...\", \"lines\": [...]}",
                       "invalid_json") from None


def _whole(value: object) -> int | None:
    """A JSON integer as JSON Schema's `integer` reads it (216839 or 216839.0, not 1.5 nor true), exactly;
    None otherwise, and for any number of over 20 digits (no bound here allows one)."""
    if type(value) is int:
        return value
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < 20:
        return int(value) if value == value.to_integral_value() else None
    return None


def parse_request(body: object) -> tuple[str, list[LineCredit] | None, object]:
    """(reason, line credits or None for everything that remains, purpose); 400 for anything else
    (a purpose other than the core's is refused by the core, also a 400)."""
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object with reason and, optionally, lines", "invalid_json")
    unknown = sorted(set(body) - set(BODY_KEYS))
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0][:40]!r}; expected {', '.join(BODY_KEYS)}",
                       "invalid_credit_note")
    reason = checked_text("reason", body.get("reason"), MAX_REASON_CHARS, "invalid_credit_note")
    lines, purpose = body.get("lines"), body.get("purpose", CORRECTION)
    if "lines" not in body:
        return reason, None, purpose
    if not isinstance(lines, list):
        raise ApiError(400, "lines must be a list of {line_id, amount_cents}", "invalid_credit_note")
    credits = []
    for n, item in enumerate(lines, 1):
        line_id, amount = (_whole(item.get(k)) for k in LINE_KEYS) if isinstance(item, dict) else (None, None)
        well_formed = isinstance(item, dict) and set(item) == set(LINE_KEYS)
        if not (well_formed and line_id is not None and 1 <= line_id <= MAX_ID and amount is not None):
            raise ApiError(400, f"lines[{n}] must be {{\"line_id\": a line's id, \"amount_cents\": whole cents}}",
                           "invalid_credit_note")
        credits.append(LineCredit(line_id, amount))
    return reason, credits, purpose


def note_id(text: str) -> int:
    try:
        return invoice_id(text)
    except ApiError:
        raise ApiError(404, "no such credit note") from None


def _list_query(params) -> dict:
    """find_credit_notes' filters and limit; unknown, repeated or empty parameters are refused."""
    refuse_unexpected(params, LIST_PARAMS)
    q = {"limit": limit_param(params, DEFAULT_LIMIT, MAX_LIMIT),
         "number": number_param(params, rules.CREDIT_NOTE_NUMBER, "CN-000001"),
         "tenant_id": tenant_id_param(params["tenant_id"]) if "tenant_id" in params else None}
    if "cursor" in params:
        if not conforms(rules.ID_CURSOR, params["cursor"]):
            raise ApiError(400, "cursor is not one this API handed out", "invalid_cursor")
        q["before_id"] = int(pattern_value(params["cursor"]))
    return q


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
        with reading(request, db.reads) as (who, conn):
            wanted = invoice_id(request.path_params["id"])
            try:
                notes = list_credit_notes(conn, wanted, who.scope)
            except InvoiceNotFound:
                raise ApiError(404, "no such invoice") from None
        return JSONResponse({"data": [note_json(n) for n in notes]})

    async def invoice_notes(request: Request) -> JSONResponse:
        """One route for the path's two methods, so that a 405 names both in `Allow`."""
        return await post_note(request) if request.method == "POST" else await run_in_threadpool(list_notes, request)

    def find_notes(request: Request) -> JSONResponse:
        with reading(request, db.reads) as (who, conn):
            q = _list_query(request.query_params)
            notes = find_credit_notes(conn, **{**q, "limit": q["limit"] + 1}, scope=who.scope)
        page = notes[:q["limit"]]
        more = len(notes) > q["limit"]
        next_cursor = str(page[-1]["id"]) if more else None
        return JSONResponse({"data": [note_json(n) for n in page], "next_cursor": next_cursor})

    def show_note(request: Request) -> JSONResponse:
        with reading(request, db.reads) as (who, conn):
            wanted = note_id(request.path_params["id"])
            try:
                return JSONResponse({"data": note_json(get_credit_note(conn, wanted, who.scope))})
            except CreditNoteNotFound:
                raise ApiError(404, "no such credit note") from None

    return [Route("/api/v1/invoices/{id}/credit_notes", invoice_notes, methods=["GET", "POST"]),
            Route("/api/v1/credit_notes", find_notes, methods=["GET"]),
            Route("/api/v1/credit_notes/{id}", show_note, methods=["GET"])]
