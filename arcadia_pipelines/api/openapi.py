"""The OpenAPI 3.1 description served at /api/v1/openapi.json."""

from __future__ import annotations

from arcadia_pipelines.warehouse.schema import INVOICE_STATUSES

from .invoices_repo import MOVES
from .params import DEFAULT_LIMIT, MAX_LIMIT

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

_ID_PARAM = {"name": "id", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}}


def _move(name: str) -> dict:
    sources, target, stamp = MOVES[name]
    return {"post": {
        "summary": f"{' or '.join(sources)} -> {target} (platform_admin only)",
        "description": f"Sets status `{target}`, `{stamp}` and `updated_at` in one transaction. Amounts never "
                       "change. Of concurrent moves on one invoice at most one succeeds; the others get 409.",
        "parameters": [_ID_PARAM],
        "responses": {"200": _ok({"type": "object", "required": ["data"],
                                  "properties": {"data": _ref("InvoiceWithLines")}}),
                      "401": _error("missing, unknown or revoked key"), "403": _error("tenant key"),
                      "404": _error("unknown invoice"), "409": _error("not allowed from the current status")},
    }}


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Arcadia invoice API", "version": "1"},
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
                {"name": "period", "in": "query", "schema": {"type": "string", "pattern": r"^\d{4}-\d{2}(-01)?$"}},
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(INVOICE_STATUSES)}},
                {"name": "tenant_id", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                {"name": "cursor", "in": "query", "schema": {"type": "string"},
                 "description": "opaque; the `next_cursor` of the previous page"},
                {"name": "limit", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
            ],
            "responses": {"200": _ok({"type": "object", "required": ["data", "next_cursor"], "properties": {
                "data": {"type": "array", "items": _ref("Invoice")},
                "next_cursor": _nullable({"type": "string"})}}),
                "400": _error("malformed parameter"), "401": _error("missing, unknown or revoked key")},
        }},
        "/api/v1/invoices/{id}": {"get": {
            "summary": "One invoice with its lines (ordered by line_no)",
            "parameters": [_ID_PARAM],
            "responses": {"200": _ok({"type": "object", "required": ["data"],
                                      "properties": {"data": _ref("InvoiceWithLines")}}),
                          "401": _error("missing, unknown or revoked key"),
                          "404": _error("unknown invoice, malformed id, or another tenant's invoice")},
        }},
        **{f"/api/v1/invoices/{{id}}/{name}": _move(name) for name in MOVES},
        "/api/v1/openapi.json": {"get": {"summary": "This description", "security": [],
                                         "responses": {"200": _ok({"type": "object"})}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "an API key from `arcadia-pipelines api-key create`"}},
        "schemas": {
            "Invoice": _INVOICE,
            "InvoiceLine": _LINE,
            "InvoiceWithLines": {"allOf": [_ref("Invoice"), {
                "type": "object", "required": ["lines"],
                "properties": {"lines": {"type": "array", "items": _ref("InvoiceLine")}}}]},
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
        },
    },
}
