"""Every error leaves the API as `{"error": {"code": ..., "message": ...}}` (CONTRACT.md)."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

log = logging.getLogger("arcadia_pipelines.api")

_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict"}


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


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
    return error_response(500, "internal", "internal error")


EXCEPTION_HANDLERS = {ApiError: _api_error, HTTPException: _http_error, Exception: _unexpected}
