"""A real loopback HTTP receiver for webhook tests, which can answer 500, time out or close the
connection for a seeded share of requests, and the README's verification snippet."""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .readme import section

FAULTS = ("500", "timeout", "close")


def readme_verify():
    """The `verify` function exactly as the README's Webhooks section shows it."""
    code = re.search(r"```python\n(.*?)```", section("Webhooks"), re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md (Webhooks)", "exec"), namespace)
    return namespace["verify"]


@dataclass
class Request:
    event_id: str
    signature: str
    content_type: str
    body: bytes
    received_at: float  # the sender's (possibly simulated) time, for the signature's freshness


@dataclass
class Receiver:
    fault_rate: float = 0.0
    seed: int = 0
    timeout_sleep: float = 1.0
    down: bool = False  # refuse every request with 503
    clock: object = None  # the simulated clock the sender runs on, if any
    delay: float = 0.0  # seconds before every answer
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self._rng, self._lock = random.Random(self.seed), threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append(Request(self.headers.get("Arcadia-Event-Id", ""),
                                                     self.headers.get("Arcadia-Signature", ""),
                                                     self.headers.get("Content-Type", ""), raw,
                                                     receiver.clock().timestamp() if receiver.clock else time.time()))
                    fault = (receiver._rng.choice(FAULTS) if receiver._rng.random() < receiver.fault_rate
                             else None)
                    if receiver.down:
                        fault = "503"
                    if fault:
                        receiver.faults[fault] = receiver.faults.get(fault, 0) + 1
                if fault == "close":
                    self.close_connection = True
                    self.connection.close()
                    return
                time.sleep(receiver.timeout_sleep if fault == "timeout" else receiver.delay)
                status = int(fault) if fault in ("500", "503") else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/arcadia"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[int]:
        return [int(r.event_id) for r in self.requests]
