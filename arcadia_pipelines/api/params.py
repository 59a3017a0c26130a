"""Strict parsing of path and query parameters: anything unexpected is a 400 or 404, never a 500."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from starlette.datastructures import QueryParams

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.lifecycle import STATUSES as INVOICE_STATUSES

from . import constraints as rules
from .constraints import MAX_ID, conforms, pattern_value
from .errors import ApiError

DEFAULT_LIMIT, MAX_LIMIT = 50, 500
LIST_PARAMS = ("period", "status", "tenant_id", "number", "cursor", "limit")
_ID = re.compile(r"[1-9][0-9]{0,18}")


def invoice_id(text: str) -> int:
    """A path id: a positive integer in BIGINT range, written plainly; else 404 like any unknown id."""
    if _ID.fullmatch(text) and int(text) <= MAX_ID:
        return int(text)
    raise ApiError(404, "no such invoice")


@dataclass(frozen=True)
class Cursor:
    """The last row of a page, in the list's order (period_start DESC, id DESC)."""

    period_start: date
    id: int

    def encode(self) -> str:
        return f"{self.period_start.isoformat()[:7]}:{self.id}"

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        if not conforms(rules.INVOICE_CURSOR, text):
            raise ApiError(400, "cursor is not one this API handed out", "invalid_cursor")
        month, _, row_id = pattern_value(text).partition(":")
        return cls(Period.parse(month).start, int(row_id))


@dataclass(frozen=True)
class ListQuery:
    period: Period | None = None
    status: str | None = None
    tenant_id: str | None = None
    number: str | None = None
    cursor: Cursor | None = None
    limit: int = DEFAULT_LIMIT


def bad_parameter(name: str, why: str) -> ApiError:
    return ApiError(400, f"{name}: {why}", "invalid_parameter")


def tenant_id_param(text: str) -> str:
    if not (conforms(rules.TENANT_ID, text) and len(text) <= rules.MAX_TENANT_ID_CHARS):
        raise bad_parameter("tenant_id", f"must be 1-{rules.MAX_TENANT_ID_CHARS} characters, none a control character")
    return pattern_value(text)


def limit_param(params: QueryParams, default: int, most: int) -> int:
    """A whole number from 1 to `most` written plainly (declared `type: integer` in OpenAPI)."""
    if "limit" not in params:
        return default
    text = params["limit"]
    if not (text.isascii() and text.isdigit() and len(text) <= 20 and 1 <= int(text) <= most):
        raise bad_parameter("limit", f"must be a whole number from 1 to {most}")
    return int(text)


def number_param(params: QueryParams, pattern: str, example: str) -> str | None:
    """The `number` filter (an invoice or credit note number), or None when not given."""
    if "number" not in params:
        return None
    if not conforms(pattern, params["number"]):
        raise bad_parameter("number", f"must look like {example}")
    return pattern_value(params["number"])


def refuse_unexpected(params: QueryParams, allowed) -> None:
    """Unknown, repeated or empty query parameters are refused rather than ignored."""
    for name in params.keys():
        if name not in allowed:
            raise bad_parameter(name[:40], f"unknown parameter; expected one of {', '.join(allowed)}")
        if len(params.getlist(name)) > 1:
            raise bad_parameter(name, "given more than once")
        if not params[name]:
            raise bad_parameter(name, "empty")


def list_query(params: QueryParams) -> ListQuery:
    """The list filters; unknown, repeated or empty parameters are refused rather than ignored."""
    refuse_unexpected(params, LIST_PARAMS)
    q = {"limit": limit_param(params, DEFAULT_LIMIT, MAX_LIMIT),
         "number": number_param(params, rules.INVOICE_NUMBER, "INV-000001")}
    if "period" in params:
        if not conforms(rules.PERIOD, params["period"]):
            raise bad_parameter("period", "must look like YYYY-MM")
        q["period"] = Period.parse(pattern_value(params["period"]))
    if "status" in params:
        if params["status"] not in INVOICE_STATUSES:
            raise bad_parameter("status", f"must be one of {', '.join(INVOICE_STATUSES)}")
        q["status"] = params["status"]
    if "tenant_id" in params:
        q["tenant_id"] = tenant_id_param(params["tenant_id"])
    if "cursor" in params:
        q["cursor"] = Cursor.decode(params["cursor"])
    return ListQuery(**q)
