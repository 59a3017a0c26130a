"""The OpenAPI 3.1 description served at /api/v1/openapi.json."""

from __future__ import annotations

from arcadia_pipelines.billing.lifecycle import STATUSES as INVOICE_STATUSES
from arcadia_pipelines.warehouse.schema import CREDIT_NOTE_PURPOSES

from . import constraints as rules
from .events import DEFAULT_LIMIT as EVENTS_DEFAULT_LIMIT
from .events import MAX_LIMIT as EVENTS_MAX_LIMIT
from .invoices_repo import MOVES
from .limits import MAX_HEADER_BYTES, MAX_URL_BYTES
from .params import DEFAULT_LIMIT, MAX_LIMIT
from .webhooks import WEBHOOK_ENDPOINT_SCHEMA, WEBHOOKS_PATH

_CENTS = {"type": "integer", "description": "integer cents"}
_DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "exact decimal, as a string"}
_DATE = {"type": "string", "format": "date"}
_STAMP = {"type": "string", "format": "date-time"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


_BUSY = {"description": "busy: a lock held by another change, or too many requests at once, outlasted the "
                        "API's bounded wait; retry after `Retry-After` seconds",
         "headers": {"Retry-After": {"schema": {"type": "integer"}}},
         "content": {"application/json": {"schema": _ref("Error")}}}


def _document_answer(media_type: str) -> dict:
    return {"description": "the document", "content": {media_type: {}},
            "headers": {"Content-Disposition": {"schema": {"type": "string"}, "description": (
                'attachment; filename="INV-000001.pdf": named by number (a draft invoice, which has none yet, '
                '"invoice-ID-draft.pdf")')}}}


def _document_paths(path: str, summary: str, not_found: str) -> dict:
    """`path`/pdf and `path`/csv: one document in each format; `summary` names the format at `{}`."""
    return {f"{path}/{fmt}": {"get": {
        "summary": summary.format(fmt.upper()), "parameters": [_ID_PARAM],
        "responses": {"200": _document_answer(media), "401": _error("missing, unknown or revoked key"),
                      "404": _error(not_found),
                      "503": _error("supplier name or ABN not configured (PDF), or busy")}}}
        for fmt, media in (("pdf", "application/pdf"), ("csv", "text/csv"))}


def _ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_INVOICE = {
    "type": "object",
    "required": ["id", "tenant_id", "period_start", "period_end", "currency", "subtotal_cents", "tax_cents",
                 "total_cents", "status", "created_at", "updated_at"],
    "properties": {
        "id": {"type": "integer"}, "tenant_id": {"type": "string"},
        "period_start": _DATE, "period_end": {**_DATE, "description": "first day of the next month (exclusive)"},
        "currency": {"type": "string"}, "subtotal_cents": _CENTS, "tax_cents": _CENTS, "total_cents": _CENTS,
        "status": {"type": "string", "enum": list(INVOICE_STATUSES)},
        "created_at": _STAMP, "updated_at": _STAMP,
        "issued_at": _nullable(_STAMP), "paid_at": _nullable(_STAMP), "voided_at": _nullable(_STAMP),
        "tax_name": _nullable({"type": "string", "description": "the tax this invoice applied; null: no tax"}),
        "tax_rate": _nullable({**_DECIMAL, "description": "the rate this invoice applied, e.g. \"0.1\""}),
        "credited_cents": {**_CENTS, "description": "what its credit notes credited, tax included"},
        "balance_cents": {**_CENTS, "description": "total_cents - credited_cents"},
        "number": _nullable({"type": "string", "description": "e.g. INV-000001, gap-free; null until issued"}),
        "due_at": _nullable({**_STAMP, "description": "issued_at + the tenant's payment terms (default 14 days)"}),
        "bill_to_name": _nullable({"type": "string", "description": "billing details printed on it, set on issue"}),
        "bill_to_address": _nullable({"type": "string"}), "bill_to_tax_id": _nullable({"type": "string"}),
        "held_reason": _nullable({"type": "string", "description": "why this draft is held back (its month's billing "
                                  "error, rule: message); issuing it answers 409 invoice_held. Null unless held"}),
    },
}

_PURPOSE = {"type": "string", "enum": list(CREDIT_NOTE_PURPOSES),
            "description": "correction (the default: the invoice billed what its data does not support; drift after "
                           "invoicing counts it) or goodwill (a concession that corrects nothing; drift leaves it "
                           "out). Both lower the balance."}

_CREDIT_NOTE = {
    "type": "object",
    "required": ["id", "number", "invoice_id", "tenant_id", "reason", "purpose", "currency", "subtotal_cents",
                 "tax_cents", "total_cents", "created_at", "lines"],
    "properties": {
        "id": {"type": "integer"}, "number": {"type": "string", "description": "e.g. CN-000001, gap-free"},
        "invoice_id": {"type": "integer"}, "invoice_number": _nullable({"type": "string"}),
        "tenant_id": {"type": "string"}, "reason": {"type": "string"}, "purpose": _PURPOSE,
        "currency": {"type": "string"}, "subtotal_cents": _CENTS,
        "tax_cents": {**_CENTS, "description": "round half up(subtotal x the invoice's tax_rate), once per note; "
                                               "never more, over all notes, than the invoice's tax"},
        "total_cents": _CENTS, "tax_name": _nullable({"type": "string"}), "tax_rate": _nullable(_DECIMAL),
        "created_at": _STAMP,
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "line_no": {"type": "integer"},
            "invoice_line_id": {"type": "integer"}, "description": {"type": "string"}, "amount_cents": _CENTS}}},
    },
}

_FREE_TEXT = {"type": "string", "minLength": 1, "pattern": rules.FREE_TEXT,
              "description": "valid Unicode text with at least one character that is not white space; no control "
                             "character but newline and tab (else 400 naming the rule: not_text, too_long, "
                             "lone_surrogate, control_character, blank)"}

_CREDIT_NOTE_REQUEST = {
    "type": "object", "required": ["reason"], "additionalProperties": False,
    "properties": {
        "reason": {**_FREE_TEXT, "maxLength": rules.MAX_REASON_CHARS},
        "purpose": {**_PURPOSE, "default": CREDIT_NOTE_PURPOSES[0]},
        "lines": {"type": "array", "minItems": 1,
                  "description": "invoice lines (not the tax line) and amounts to credit; leave out to credit "
                                 "everything that remains creditable",
                  "items": {"type": "object", "required": ["line_id", "amount_cents"], "additionalProperties": False,
                            "properties": {"line_id": {"type": "integer", "minimum": 1, "maximum": rules.MAX_ID},
                                           "amount_cents": {"type": "integer", "minimum": 1,
                                                            "maximum": rules.MAX_AMOUNT_CENTS,
                                                            "description": "whole cents; 100 and 100.0 are the same "
                                                                           "number, read exactly"}}}},
    },
}

_LINE = {
    "type": "object",
    "required": ["id", "invoice_id", "line_no", "kind", "description", "quantity", "unit_price_cents",
                 "amount_cents"],
    "properties": {
        "id": {"type": "integer"}, "invoice_id": {"type": "integer"}, "line_no": {"type": "integer"},
        "kind": {"type": "string", "enum": ["plan_base", "addon", "overage", "tax"]},
        "deployment_id": _nullable({"type": "string"}), "subscription_id": _nullable({"type": "string"}),
        "resource_kind": _nullable({"type": "string"}), "meter": _nullable({"type": "string"}),
        "description": {"type": "string"}, "quantity": _DECIMAL,
        "unit_price_cents": {**_DECIMAL, "description": "may be fractional cents"}, "amount_cents": _CENTS,
    },
}

_PREVIEWED = {  # one of a preview's two answers: an invoice's amounts and lines, never stored
    "type": "object", "required": ["currency", "lines", "subtotal_cents", "tax_cents", "total_cents"],
    "properties": {"currency": _nullable({"type": "string", "description": "null: nothing billable"}),
                   "lines": {"type": "array", "items": {"type": "object", "properties": {
                       k: v for k, v in _LINE["properties"].items() if k not in ("id", "invoice_id", "line_no")}}},
                   "subtotal_cents": _CENTS, "tax_cents": _CENTS, "total_cents": _CENTS,
                   "tax_name": _nullable({"type": "string"}), "tax_rate": _nullable(_DECIMAL)},
}

_PREVIEW = {
    "type": "object",
    "required": ["tenant_id", "as_of", "period", "period_start", "period_end", "stored", "metered_so_far",
                 "projected_month_end"],
    "properties": {
        "tenant_id": {"type": "string"}, "as_of": _STAMP, "period": {"type": "string", "description": "YYYY-MM"},
        "period_start": _DATE, "period_end": _DATE, "stored": {"const": False},
        "metered_so_far": {**_PREVIEWED, "description": "usage metered through as_of"},
        "projected_month_end": {**_PREVIEWED, "description": "resources running at as_of keep running to the "
                                                             "end of their subscription's window in the month"},
    },
}

_EVENT = {
    "type": "object",
    "required": ["event_id", "kind", "invoice_id", "credit_note_id", "tenant_id", "occurred_at", "status", "number",
                 "currency", "total_cents"],
    "properties": {
        "event_id": {"type": "integer", "description": "increasing; process events idempotently by it"},
        "kind": {"type": "string", "enum": ["created", "recomputed", "issued", "paid", "voided", "credited"]},
        "invoice_id": {"type": "integer"}, "credit_note_id": _nullable({"type": "integer"}),
        "tenant_id": {"type": "string"}, "occurred_at": _STAMP,
        "status": {"type": "string", "enum": list(INVOICE_STATUSES), "description": "the invoice's, after it"},
        "number": _nullable({"type": "string"}), "currency": {"type": "string"},
        "total_cents": {**_CENTS, "description": "the invoice's total after it"},
    },
}

_ID_PARAM = {"name": "id", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": rules.MAX_ID}}
_TENANT_ID_PARAM = {"name": "tenant_id", "in": "query",
                    "schema": {"type": "string", "minLength": 1, "maxLength": rules.MAX_TENANT_ID_CHARS,
                               "pattern": rules.TENANT_ID}}


def _limit_param(default: int, most: int) -> dict:
    return {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": most,
                                                       "default": default}}


def _number_param(pattern: str, example: str) -> dict:
    return {"name": "number", "in": "query", "schema": {"type": "string", "pattern": pattern},
            "description": f"only the one with this number, e.g. {example} (an empty list when there is none)"}


def _cursor_param(pattern: str) -> dict:
    return {"name": "cursor", "in": "query", "schema": {"type": "string", "pattern": pattern},
            "description": "opaque; the `next_cursor` of the previous page"}


def _page(item: str, cursor_pattern: str) -> dict:
    return _ok({"type": "object", "required": ["data", "next_cursor"], "properties": {
        "data": {"type": "array", "items": _ref(item)},
        "next_cursor": _nullable({"type": "string", "pattern": cursor_pattern,
                                  "description": "pass as `cursor` for the next page; null on the last"})}})

_LINE_USAGE = {  # GET /api/v1/invoices/{id}/lines/{line_id}/usage (explain.py)
    "type": "object",
    "required": ["invoice_id", "line_id", "line_no", "kind", "description", "period_start", "summary", "evidence",
                 "note"],
    "properties": {
        "invoice_id": {"type": "integer"}, "line_id": {"type": "integer"}, "line_no": {"type": "integer"},
        "kind": _LINE["properties"]["kind"], "description": {"type": "string"},
        "subscription_id": _nullable({"type": "string"}), "meter": _nullable({"type": "string"}),
        "period_start": _DATE,
        "summary": _nullable({
            "type": "object", "description": "an overage line set against its evidence; null for other lines",
            "required": ["usage", "included", "overage_quantity", "unit_price_cents", "amount_cents", "matches_line"],
            "properties": {
                "usage": {**_DECIMAL, "description": "the evidence rows' quantities summed"},
                "included": _nullable({**_DECIMAL, "description": "the plan meter's allowance x the proration "
                                                                  "(at most 6 decimals); null: not computable now"}),
                "overage_quantity": {**_DECIMAL, "description": "the line's quantity"},
                "unit_price_cents": _DECIMAL, "amount_cents": _CENTS,
                "matches_line": {"type": "boolean", "description": "usage - included is the line's quantity"}}}),
        "evidence": {"type": "array", "description": "the metered intervals behind the line (usage_evidence)",
                     "items": {"type": "object", "properties": {
                         "resource_kind": {"type": "string"}, "resource_id": {"type": "string"},
                         "started_at": {**_STAMP, "description": "the interval's start (metered_resources key)"},
                         "window_start": _STAMP, "window_end": {**_STAMP, "description": "exclusive"},
                         "hours": {"type": "integer", "description": "ceil(overlap seconds / 3600)"},
                         "size": _DECIMAL, "quantity": {**_DECIMAL, "description": "hours x size"}}}},
        "note": _nullable({"type": "string", "description": "why there is no evidence, or why it no longer "
                                                            "matches the line"}),
    },
}


def _move(name: str) -> dict:
    sources, target, stamp = MOVES[name].sources, MOVES[name].target, MOVES[name].stamp
    return {"post": {
        "summary": f"{' or '.join(sources)} -> {target} (platform_admin only)",
        "description": f"Sets status `{target}`, `{stamp}` and `updated_at` in one transaction. Amounts never "
                       "change. Of concurrent moves on one invoice at most one succeeds; the others get 409.",
        "parameters": [_ID_PARAM],
        "responses": {"200": _ok({"type": "object", "required": ["data"],
                                  "properties": {"data": _ref("InvoiceWithLines")}}),
                      "401": _error("missing, unknown or revoked key"), "403": _error("tenant key"),
                      "404": _error("unknown invoice"),
                      "409": _error("not allowed from the current status (`invalid_transition`) or refused for a "
                                    "reason named in the message (`conflict`)"
                                    + ("; or a draft held back because its month has a billing error "
                                       "(`invoice_held`, the message names the rule); or a tenant whose "
                                       "payment_terms_days is not 0 to 3650 (`invalid_payment_terms`)"
                                       if name == "issue" else "")),
                      "503": _BUSY},
    }}


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Arcadia invoice API", "version": "1",
             "description": f"Every error is an `Error`. Any route answers 414 for a URL over {MAX_URL_BYTES} "
                            f"bytes and 431 for headers over {MAX_HEADER_BYTES} bytes."},
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/invoices": {"get": {
            "summary": "List invoices",
            "description": "Newest first: ordered by period_start descending, then id descending. Keyset "
                           "pagination: pass `next_cursor` as `cursor` for the next page; rows added between "
                           "fetches never make a page repeat or skip a row. A tenant key sees only its "
                           "own tenant; `tenant_id` narrows, never widens, that view. Unknown, repeated or "
                           "empty parameters are refused with 400.",
            "parameters": [
                {"name": "period", "in": "query", "schema": {"type": "string", "pattern": rules.PERIOD}},
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(INVOICE_STATUSES)}},
                _TENANT_ID_PARAM, _number_param(rules.INVOICE_NUMBER, "INV-000001"),
                _cursor_param(rules.INVOICE_CURSOR), _limit_param(DEFAULT_LIMIT, MAX_LIMIT),
            ],
            "responses": {"200": _page("Invoice", rules.INVOICE_CURSOR),
                "400": _error("malformed parameter"), "401": _error("missing, unknown or revoked key"),
                "503": _BUSY},
        }},
        "/api/v1/invoices/preview": {"get": {
            "summary": "The running month's invoice for a tenant: metered so far, and projected to month end",
            "description": "Computed on request by the month-end's own engine, never stored, never an invoice. "
                           "The month is the UTC month holding `as_of` (default now); plan and addon fees are the "
                           "whole month's. As of the month's last instant both answers equal its invoice. A "
                           "tenant key previews its own tenant (another tenant's is 404); a platform_admin key, "
                           "which has no tenant of its own, names one with `tenant_id` (without it: 404).",
            "parameters": [_TENANT_ID_PARAM,
                           {"name": "as_of", "in": "query", "schema": {**_STAMP, "pattern": rules.AS_OF},
                            "description": "RFC 3339 (upper-case T and Z), from 1971 to 9997"}],
            "responses": {"200": _ok({"type": "object", "required": ["data"], "properties": {"data": _PREVIEW}}),
                          "400": _error("malformed parameter"),
                          "401": _error("missing, unknown or revoked key"),
                          "404": _error("unknown tenant, another tenant's, or no tenant_id with a platform_admin key"),
                          "422": _error("the tenant's data breaks a billing rule (named in the message)"),
                          "503": _BUSY},
        }},
        "/api/v1/invoices/{id}": {"get": {
            "summary": "One invoice with its lines (ordered by line_no)",
            "parameters": [_ID_PARAM],
            "responses": {"200": _ok({"type": "object", "required": ["data"],
                                      "properties": {"data": _ref("InvoiceWithLines")}}),
                          "401": _error("missing, unknown or revoked key"),
                          "404": _error("unknown invoice, malformed id, or another tenant's invoice"),
                          "503": _BUSY},
        }},
        **{f"/api/v1/invoices/{{id}}/{name}": _move(name) for name in MOVES},
        "/api/v1/invoices/{id}/credit_notes": {
            "get": {"summary": "The invoice's credit notes, oldest first (scoped like the invoice)",
                    "parameters": [_ID_PARAM],
                    "responses": {"200": _ok({"type": "object", "required": ["data"], "properties": {
                        "data": {"type": "array", "items": _ref("CreditNote")}}}),
                        "401": _error("missing, unknown or revoked key"),
                        "404": _error("unknown invoice, or another tenant's"), "503": _BUSY}},
            "post": {"summary": "Credit an issued or paid invoice (platform_admin only)",
                     "description": "Credits the chosen lines and amounts, or everything that remains. A line is "
                                    "never credited beyond its amount over all notes; concurrent notes on one "
                                    "invoice run one after the other. Appends a `credited` event.",
                     "parameters": [_ID_PARAM],
                     "requestBody": {"required": True,
                                     "content": {"application/json": {"schema": _ref("CreditNoteRequest")}}},
                     "responses": {"201": _ok({"type": "object", "required": ["data"],
                                               "properties": {"data": _ref("CreditNote")}}, "Created"),
                                   "400": _error("malformed body, a reason that is not valid text (the rule is "
                                                 "named), an amount that is not positive whole cents"),
                                   "401": _error("missing, unknown or revoked key"), "403": _error("tenant key"),
                                   "404": _error("unknown invoice, or a line not on it"),
                                   "409": _error("invoice not issued or paid, or more than remains creditable"),
                                   "413": _error("body over 64 KiB"), "503": _BUSY}},
        },
        "/api/v1/credit_notes": {"get": {
            "summary": "Find credit notes, newest first (id descending); a tenant key sees its own tenant's only",
            "description": "`number` finds one note by its number (an empty list when there is none, or when it "
                           "is another tenant's); `tenant_id` narrows, never widens, the caller's view. Pass "
                           "`next_cursor` as `cursor` for the next page. Unknown, repeated or empty parameters "
                           "are refused with 400.",
            "parameters": [_number_param(rules.CREDIT_NOTE_NUMBER, "CN-000001"), _TENANT_ID_PARAM,
                           _cursor_param(rules.ID_CURSOR), _limit_param(DEFAULT_LIMIT, MAX_LIMIT)],
            "responses": {"200": _page("CreditNote", rules.ID_CURSOR), "400": _error("malformed parameter"),
                          "401": _error("missing, unknown or revoked key"), "503": _BUSY}}},
        "/api/v1/credit_notes/{id}": {"get": {
            "summary": "One credit note (scoped like its invoice)", "parameters": [_ID_PARAM],
            "responses": {"200": _ok({"type": "object", "required": ["data"],
                                      "properties": {"data": _ref("CreditNote")}}),
                          "401": _error("missing, unknown or revoked key"),
                          "404": _error("unknown credit note, or another tenant's"), "503": _BUSY}}},
        **_document_paths("/api/v1/credit_notes/{id}", "The credit note as {} (an adjustment note when its "
                          "invoice's tax applies)", "unknown credit note, or another tenant's"),
        "/api/v1/invoices/{id}/lines/{line_id}/usage": {"get": {
            "summary": "Why this number: the usage evidence behind one invoice line (scoped like the invoice)",
            "description": "For an overage line, the metered intervals of its subscription and meter in the "
                           "invoice's month, each with its clipped window, whole hours and quantity, and a summary "
                           "(usage, included, overage, unit price, amount). Other lines: no evidence and a note.",
            "parameters": [_ID_PARAM, {**_ID_PARAM, "name": "line_id"}],
            "responses": {"200": _ok({"type": "object", "required": ["data"],
                                      "properties": {"data": _ref("LineUsage")}}),
                          "401": _error("missing, unknown or revoked key"),
                          "404": _error("unknown invoice, another tenant's, or a line not on it"), "503": _BUSY}}},
        **_document_paths("/api/v1/invoices/{id}", "The invoice as {} (scoped like the invoice; a tax invoice once "
                          "issued, when tax applies; a draft is marked not a tax invoice)",
                          "unknown invoice, malformed id, or another tenant's invoice"),
        "/api/v1/events": {"get": {
            "summary": "Every invoice change in order (admins: every tenant; tenant keys: their own)",
            "description": "Poll with the `next_cursor` of the previous answer as `after` (it is returned also "
                           "when there was nothing new). Events come in id order and none is ever skipped, "
                           "also while moves commit concurrently.",
            "parameters": [
                {"name": "after", "in": "query", "schema": {"type": "string", "pattern": rules.EVENTS_AFTER},
                 "description": "opaque; the `next_cursor` of the previous answer (default: the beginning)"},
                _limit_param(EVENTS_DEFAULT_LIMIT, EVENTS_MAX_LIMIT),
            ],
            "responses": {"200": _ok({"type": "object", "required": ["data", "next_cursor", "has_more"], "properties": {
                "data": {"type": "array", "items": _ref("Event")},
                "next_cursor": {"type": "string", "pattern": rules.EVENTS_AFTER},
                "has_more": {"type": "boolean"}}}),
                "400": _error("malformed parameter or cursor"), "401": _error("missing, unknown or revoked key"),
                "503": _BUSY}}},
        "/api/v1/webhooks": WEBHOOKS_PATH,
        "/api/v1/openapi.json": {"get": {"summary": "This description", "security": [],
                                         "responses": {"200": _ok({"type": "object"})}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "an API key from `arcadia-pipelines api-key create`"}},
        "schemas": {
            "Invoice": _INVOICE,
            "InvoiceLine": _LINE,
            "LineUsage": _LINE_USAGE,
            "CreditNote": _CREDIT_NOTE,
            "Event": _EVENT,
            "WebhookEndpoint": WEBHOOK_ENDPOINT_SCHEMA,
            "CreditNoteRequest": _CREDIT_NOTE_REQUEST,
            "InvoiceWithLines": {"allOf": [_ref("Invoice"), {
                "type": "object", "required": ["lines"],
                "properties": {"lines": {"type": "array", "items": _ref("InvoiceLine")}}}]},
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
        },
    },
}
