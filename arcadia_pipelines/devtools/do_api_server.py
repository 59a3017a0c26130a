"""A DigitalOcean-shaped HTTP API on 127.0.0.1, for tests and the demo.

Serves the read endpoints billing uses with DigitalOcean's pagination, bearer-token check, GPU
droplet filtering and error bodies, from a `FakeDoAccount` that callers change while it runs:

    with DoApiServer(token="t") as do:
        do.add_droplet("web-1", size_slug="s-2vcpu-4gb", tags=["tenant:acme"])
        do.script_failures("/v2/droplets", [429, 500])  # the next two requests fail
        list(DigitalOceanClient("t", api_url=do.url).droplets())  # retried, then every droplet
        do.script_bodies("/v2/droplets", [lambda body: body.pop("links")])  # a page that ends the listing early
        do.script_trickle("/v2/volumes", every=2)  # the next answer's body comes one byte every 2 s

Nothing here logs or records the Authorization header.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable
from urllib.parse import parse_qsl, urlsplit

from .do_account import FakeDoAccount
from .do_pages import paginate

INVOICES = "/v2/customers/my/invoices"
_ERRORS = {
    400: ("bad_request", "The request was malformed."),
    401: ("unauthorized", "Unable to authenticate you."),
    403: ("forbidden", "You do not have access for the attempted action."),
    404: ("not_found", "The resource you requested could not be found."),
    429: ("too_many_requests", "API rate limit exceeded."),
    500: ("server_error", "Server was unable to give you a response."),
}


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    status: int = 200


class DoApiServer(FakeDoAccount):
    """A `FakeDoAccount` served over real HTTP. Use as a context manager or `start()`/`stop()`."""

    def __init__(self, token: str = "do-fake-token") -> None:
        super().__init__()
        self.token = token
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._script_lock = threading.Lock()
        self._failures: dict[str, deque[tuple[int, float]]] = defaultdict(deque)
        self._delays: dict[str, deque[float]] = defaultdict(deque)
        self._edits: dict[str, deque[Callable[[dict], object]]] = defaultdict(deque)
        self._trickles: dict[str, deque[float]] = defaultdict(deque)
        self._log: list[RequestRecord] = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "DoApiServer":
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.api = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes delayed requests
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> "DoApiServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("DoApiServer is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- scripted trouble and the request log ----------------------------------------------

    def script_failures(self, path: str, statuses: Iterable[int], retry_after: float = 0) -> None:
        """The next requests to `path` (no query string) answer these statuses, in order, then
        requests succeed again. 429s carry `Retry-After: retry_after` and DO's ratelimit headers."""
        with self._script_lock:
            self._failures[path].extend((status, retry_after) for status in statuses)

    def script_delays(self, path: str, seconds: Iterable[float]) -> None:
        """The next requests to `path` are answered only after these delays (to test timeouts)."""
        with self._script_lock:
            self._delays[path].extend(seconds)

    def script_bodies(self, path: str, edits: Iterable[Callable[[dict], object]]) -> None:
        """The next 200 answers to `path` go through these edits, in order: each changes the JSON body
        in place (to serve incomplete, inconsistent or malformed pages); what it returns is ignored."""
        with self._script_lock:
            self._edits[path].extend(edits)

    def script_trickle(self, path: str, every: float, times: int = 1) -> None:
        """The next `times` answers to `path` send their headers at once, then their body one byte
        every `every` seconds (a per-read timeout never fires on such a server)."""
        with self._script_lock:
            self._trickles[path].extend([every] * times)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request served so far: method, path, query and status; never headers."""
        with self._script_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._script_lock:
            self._log.clear()

    def _next_scripted(self, path: str) -> tuple[float, tuple[int, float] | None]:
        with self._script_lock:
            delay = self._delays[path].popleft() if self._delays[path] else 0.0
            failure = self._failures[path].popleft() if self._failures[path] else None
            return delay, failure

    def _next_edit(self, path: str) -> Callable[[dict], object] | None:
        with self._script_lock:
            return self._edits[path].popleft() if self._edits[path] else None

    def _next_trickle(self, path: str) -> float:
        with self._script_lock:
            return self._trickles[path].popleft() if self._trickles[path] else 0.0

    def _record(self, record: RequestRecord) -> None:
        with self._script_lock:
            self._log.append(record)

    # -- the API ---------------------------------------------------------------------------

    def respond(self, path: str, query: dict[str, str], authorization: str | None) -> tuple[int, dict, dict]:
        """(status, JSON body, extra headers) for `GET path?query`, scripted edits applied."""
        status, body, headers = self._answer(path, query, authorization)
        edit = self._next_edit(path) if status == 200 else None
        if edit is not None:
            edit(body)
        return status, body, headers

    def _answer(self, path: str, query: dict[str, str], authorization: str | None) -> tuple[int, dict, dict]:
        delay, failure = self._next_scripted(path)
        if delay:
            self._stopping.wait(delay)
        if failure:
            status, retry_after = failure
            headers = {"Retry-After": f"{retry_after:g}", "ratelimit-remaining": "0"} if status == 429 else {}
            return status, error_body(status), headers
        if authorization != f"Bearer {self.token}":
            return 401, error_body(401), {}
        base = self.url + path
        if path == "/v2/droplets":
            return self._droplets_page(base, query)
        if path == "/v2/volumes":
            return 200, paginate("volumes", self.volumes(), base, query), {}
        if path == INVOICES:
            body = paginate("invoices", self.invoices(), base, query)
            if (preview := self.invoice_preview()) is not None:
                body["invoice_preview"] = preview
            return 200, body, {}
        if path.startswith(INVOICES + "/") and path.count("/") == 5:
            items = self.invoice_items(path.rsplit("/", 1)[1])
            if items is not None:
                return 200, paginate("invoice_items", items, base, query), {}
        return 404, error_body(404), {}

    def _droplets_page(self, base: str, query: dict[str, str]) -> tuple[int, dict, dict]:
        kind, tag = query.get("type"), query.get("tag_name")
        if kind not in (None, "droplets", "gpus") or (kind and tag):
            return 400, error_body(400, "type must be droplets or gpus and cannot be combined with tag_name"), {}
        droplets = [d for d in self.droplets() if ("gpu_info" in d) == (kind == "gpus")]
        if tag is not None:
            droplets = [d for d in droplets if tag in d["tags"]]
        return 200, paginate("droplets", droplets, base, query), {}


def error_body(status: int, message: str | None = None) -> dict:
    error_id, default = _ERRORS.get(status, ("error", "Unexpected error"))
    return {"id": error_id, "message": message or default}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: DoApiServer

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up is fine
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-digitalocean"

    def do_GET(self) -> None:
        api = self.server.api
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        status, body, headers = api.respond(parts.path, query, self.headers.get("Authorization"))
        api._record(RequestRecord("GET", parts.path, query, status))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("ratelimit-limit", "5000")
        self.send_header("ratelimit-reset", str(int(time.time()) + 60))
        headers.setdefault("ratelimit-remaining", "4999")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        every = api._next_trickle(parts.path)
        if not every:
            self.wfile.write(payload)
            return
        for n in range(len(payload)):
            self.wfile.write(payload[n:n + 1])
            self.wfile.flush()
            if api._stopping.wait(every):
                return

    def log_message(self, format: str, *args) -> None:
        """Silent: the request log on DoApiServer is the record, and it has no headers."""
