"""Hostile ids, paths and requests: always a 4xx in the contract's error shape, never a 500, nothing changed."""

from __future__ import annotations

import http.client
import json
import socket

import sqlalchemy as sa

from arcadia_pipelines.warehouse.schema import tenant_invoices

HOSTILE_IDS = [
    "..%2F..%2Fetc%2Fpasswd", "..%252F..%252Fetc%252Fpasswd", "%2E%2E", "1%20OR%201%3D1",
    "1%3B%20DROP%20TABLE%20tenant_invoices",
    "1'%20OR%20'1'%3D'1", "%00", "1%00", "9" * 5000, "9223372036854775808", "99999999999999999999999999",
    "9223372036854775807", "-1", "0", "01", "1.0", "1e3", "0x1", "%EF%BC%91",  # a fullwidth digit one
    "%D9%A3", "%20", "%F0%9F%92%B8", "null", "true", "[1]", "%7B%7D",
]


def _raw(api, method: str, path: str, key: str) -> tuple[int, bytes]:
    """The request exactly as written: no client-side normalisation of the path."""
    host, port = api.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _all_invoices(engine):
    with engine.connect() as c:
        return [r._asdict() for r in c.execute(sa.select(tenant_invoices).order_by(tenant_invoices.c.id))]


def test_hostile_invoice_ids_are_answered_400_or_404_and_change_nothing(api, engine, ledger, keys):
    ledger.invoice("acme")
    ledger.invoice("globex")
    before = _all_invoices(engine)
    for raw_id in HOSTILE_IDS:
        for key in (keys["admin"], keys["acme"]):
            for method, suffix in (("GET", ""), ("POST", "/issue"), ("POST", "/void")):
                status, body = _raw(api, method, f"/api/v1/invoices/{raw_id}{suffix}", key)
                # a tenant key on an admin route is refused (403) before its id is even read
                expected = {400, 404} if key == keys["admin"] or method == "GET" else {403, 404}
                assert status in expected, (raw_id, method, suffix, status, body[:200])
                assert body.startswith(b'{"error":{"code":'), (raw_id, body[:200])
    assert _all_invoices(engine) == before


def test_dot_segments_never_leave_the_api(api, keys):
    for path in ("/api/v1/invoices/../../../etc/passwd", "/api/v1/../../etc/passwd", "/../../etc/passwd",
                 "/api/v1/invoices/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/api/v1/invoices/1/../../openapi.json"):
        status, body = _raw(api, "GET", path, keys["admin"])
        assert status == 404, (path, status)
        assert b"root:" not in body and body.startswith(b'{"error":{"code":"not_found"')


def test_wrong_methods_and_unknown_routes_answer_in_the_error_shape(api, keys):
    for method, path, status in [("DELETE", "/api/v1/invoices", 405), ("PUT", "/api/v1/invoices/1", 405),
                                 ("GET", "/api/v1/invoices/1/issue", 405), ("POST", "/api/v1/invoices/1/refund", 404),
                                 ("GET", "/api/v2/invoices", 404)]:
        got, body = _raw(api, method, path, keys["admin"])
        assert got == status, (method, path, got)
        assert body.startswith(b'{"error":{"code":'), body


def _raw_bytes(api, request: bytes) -> tuple[int, dict, bytes]:
    """Send `request` as is on a new connection: status, headers and body of the answer."""
    host, port = api.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def test_oversized_urls_and_headers_are_answered_in_the_error_shape(api, keys):
    auth = f"Authorization: Bearer {keys['admin']}\r\n".encode()
    huge_query = b"GET /api/v1/invoices?status=" + b"x" * 100_000 + b" HTTP/1.1\r\nHost: api\r\n" + auth + b"\r\n"
    huge_path = b"GET /api/v1/invoices/" + b"9" * 100_000 + b" HTTP/1.1\r\nHost: api\r\n" + auth + b"\r\n"
    huge_header = b"GET /api/v1/invoices HTTP/1.1\r\nHost: api\r\n" + auth + b"X-Note: " + b"y" * 100_000 + b"\r\n\r\n"
    many_headers = (b"GET /api/v1/invoices HTTP/1.1\r\nHost: api\r\n" + auth
                    + b"".join(b"X-%d: v\r\n" % n for n in range(10_000)) + b"\r\n")
    for request, status, code in [(huge_query, 414, "uri_too_long"), (huge_path, 414, "uri_too_long"),
                                  (huge_header, 431, "headers_too_large"), (many_headers, 431, "headers_too_large")]:
        got, headers, body = _raw_bytes(api, request)
        assert (got, headers["content-type"]) == (status, "application/json"), (request[:60], got, body[:200])
        assert json.loads(body)["error"]["code"] == code


def test_requests_the_server_cannot_parse_are_answered_in_the_error_shape(api):
    for request in (b"NONSENSE\r\n\r\n", b"GET /api/v1/invoices HTTP/1.1\r\nHost: api\r\nno colon here\r\n\r\n",
                    b"GET /api/v1/invoices HTTP/1.1\r\n\r\n"):  # HTTP/1.1 requires Host
        status, headers, body = _raw_bytes(api, request)
        assert (status, headers["content-type"]) == (400, "application/json"), (request, body)
        assert json.loads(body)["error"]["code"] == "bad_request"
