"""Request-size limits, answered in the API's error shape like every other error.

uvicorn's default parser (httptools) cannot parse a URL over 64 KiB and sets no bound on a
request's headers; whatever it cannot parse it answers itself with a plain-text 400 the app never
sees. So the API is served with h11 (server.py), which buffers a request head up to
MAX_HEAD_BYTES. Within that, `RequestSizeLimits` refuses a URL over MAX_URL_BYTES (414) and
headers over MAX_HEADER_BYTES (431); anything h11 cannot parse (a larger head, malformed HTTP)
`JsonErrorsH11Protocol` answers with a 400. All in `{"error": {"code": ..., "message": ...}}`.
"""

from __future__ import annotations

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .errors import error_response

MAX_URL_BYTES = 8 * 1024  # path and query string, as sent
MAX_HEADER_BYTES = 32 * 1024  # names and values of all headers together
MAX_HEAD_BYTES = 1024 * 1024  # what the server buffers of one request head at most


class RequestSizeLimits:
    """ASGI middleware: 414 for an over-long URL, 431 for over-large headers, before any routing."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"])
            if url_bytes > MAX_URL_BYTES:
                refusal = error_response(414, "uri_too_long", f"the URL is over {MAX_URL_BYTES} bytes")
                return await refusal(scope, receive, send)
            if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
                refusal = error_response(431, "headers_too_large", f"the headers are over {MAX_HEADER_BYTES} bytes")
                return await refusal(scope, receive, send)
        await self.app(scope, receive, send)


class JsonErrorsH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering a request it cannot parse in the API's error shape."""

    def send_400_response(self, msg: str) -> None:
        refusal = error_response(400, "bad_request",
                                 f"malformed HTTP request, or a request head over {MAX_HEAD_BYTES} bytes")
        headers = [*refusal.raw_headers, (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=refusal.body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()
