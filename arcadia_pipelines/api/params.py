"""Strict parsing of path and query parameters: anything unexpected is a 400 or 404, never a 500."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date

from starlette.datastructures import QueryParams

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.lifecycle import STATUSES as INVOICE_STATUSES

from .errors import ApiError

MAX_ID = 2**63 - 1  # BIGINT
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
LIST_PARAMS = ("period", "status", "tenant_id", "cursor", "limit")
_ID = re.compile(r"[1-9][0-9]{0,18}")
_TENANT_ID = re.compile(r"[^\x00-\x1f\x7f]{1,200}")
_CURSOR = re.compile(r"(\d{4}-\d{2}-01):([1-9][0-9]{0,18})")


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
        return base64.urlsafe_b64encode(f"{self.period_start.isoformat()}:{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii") if len(text) <= 64 else ""
            m = _CURSOR.fullmatch(raw)
            if m and int(m.group(2)) <= MAX_ID:
                return cls(date.fromisoformat(m.group(1)), int(m.group(2)))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pass
        raise ApiError(400, "cursor is not one this API handed out", "invalid_cursor")


@dataclass(frozen=True)
class ListQuery:
    period: Period | None = None
    status: str | None = None
    tenant_id: str | None = None
    cursor: Cursor | None = None
    limit: int = DEFAULT_LIMIT


def bad_parameter(name: str, why: str) -> ApiError:
    return ApiError(400, f"{name}: {why}", "invalid_parameter")


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
    q = {}
    if "period" in params:
        try:
            q["period"] = Period.parse(params["period"][:20])
        except ValueError:
            raise bad_parameter("period", "must look like YYYY-MM") from None
    if "status" in params:
        if params["status"] not in INVOICE_STATUSES:
            raise bad_parameter("status", f"must be one of {', '.join(INVOICE_STATUSES)}")
        q["status"] = params["status"]
    if "tenant_id" in params:
        if not _TENANT_ID.fullmatch(params["tenant_id"]):
            raise bad_parameter("tenant_id", "must be 1-200 printable characters")
        q["tenant_id"] = params["tenant_id"]
    if "cursor" in params:
        q["cursor"] = Cursor.decode(params["cursor"])
    if "limit" in params:
        text = params["limit"]
        if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_LIMIT):
            raise bad_parameter("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
        q["limit"] = int(text)
    return ListQuery(**q)
