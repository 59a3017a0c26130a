"""Every error leaves the API as `{"error": {"code": ..., "message": ...}}` (CONTRACT.md)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from arcadia_pipelines.warehouse.engine import is_lock_timeout

log = logging.getLogger("arcadia_pipelines.api")

_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 414: "uri_too_long", 431: "headers_too_large"}
RETRY_AFTER_S = 2


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code or _CODES[status]


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, headers)


def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own 404/405 (no such route, wrong method) in our shape."""
    message = {404: "no such resource", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, _CODES.get(exc.status_code, "error"), message, exc.headers)


def _busy(request: Request, why: str, message: str) -> JSONResponse:
    """A bounded wait ran out (engines.py): 503 and a hint when to retry, never a 500."""
    log.warning("%s %s answered 503: %s", request.method, request.url.path, why)
    return error_response(503, "busy", message, {"Retry-After": str(RETRY_AFTER_S)})


def _database_error(request: Request, exc: sa.exc.DBAPIError) -> JSONResponse:
    if is_lock_timeout(exc):
        return _busy(request, "lock wait timed out",
                     "the invoice or the warehouse is locked by another change; retry in a few seconds")
    return _unexpected(request, exc)


def _pool_timeout(request: Request, _exc: sa.exc.TimeoutError) -> JSONResponse:
    return _busy(request, "no free warehouse connection", "too many requests at once; retry in a few seconds")


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
    return error_response(500, "internal", "internal error")


EXCEPTION_HANDLERS = {ApiError: _api_error, HTTPException: _http_error, sa.exc.DBAPIError: _database_error,
                      sa.exc.TimeoutError: _pool_timeout, Exception: _unexpected}
