"""A total deadline for DigitalOcean calls that holds against slow bodies.

requests' and azure-core's read timeout applies to each socket read, so a server that trickles a
byte every few seconds keeps one call alive forever. Here every socket read (status line, headers,
body) and every connect waits at most for the time left until a monotonic deadline, which
`deadline(seconds)` sets for the calls made inside it; past the deadline the call raises
DeadlineExceeded, which no retry policy catches.

The deadline reaches the sockets through a requests session whose connection pools make
connections with a deadline-aware response class; `deadline_session()` builds one for azure-core's
RequestsTransport.
"""

from __future__ import annotations

import contextvars
import io
import time
from contextlib import contextmanager
from http.client import HTTPResponse
from typing import Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, ProxyManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util.retry import Retry

_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("do_deadline", default=None)


class DeadlineExceeded(Exception):
    """The call was still running when its deadline passed. `seconds` is the deadline's length."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within the {seconds:g}s deadline")
        self.seconds = seconds


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Calls inside must be complete within `seconds` from now; a deadline already in force and
    sooner (a whole listing's) wins."""
    ends = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(outer if outer is not None and outer[0] <= ends else (ends, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds until the current deadline (None without one); raises DeadlineExceeded once it passed."""
    current = _deadline.get()
    if current is None:
        return None
    left = current[0] - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded(current[1])
    return left


class _DeadlineSocketReader(io.RawIOBase):
    """A socket's read side where each read waits at most its read timeout and never past the deadline."""

    def __init__(self, sock, ends: tuple[float, float] | None) -> None:
        super().__init__()
        # The socket's own unbuffered file: it keeps the socket open while the response is read.
        self._raw, self._sock, self._ends = sock.makefile("rb", buffering=0), sock, ends
        self._read_timeout = sock.gettimeout()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        if self._ends is not None:
            left = self._ends[0] - time.monotonic()
            if left <= 0:
                raise DeadlineExceeded(self._ends[1])
            self._sock.settimeout(left if self._read_timeout is None else min(left, self._read_timeout))
        try:
            return self._raw.readinto(buffer)
        except TimeoutError:
            if self._ends is not None and time.monotonic() >= self._ends[0]:
                raise DeadlineExceeded(self._ends[1]) from None
            raise

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineSocket:
    """What http.client's response is built on: the socket, read through `_DeadlineSocketReader`."""

    def __init__(self, sock, ends) -> None:
        self._sock, self._ends = sock, ends

    def makefile(self, mode: str):
        return io.BufferedReader(_DeadlineSocketReader(self._sock, self._ends))


class _DeadlineResponse(HTTPResponse):
    def __init__(self, sock, *args, **kwargs) -> None:
        super().__init__(_DeadlineSocket(sock, _deadline.get()), *args, **kwargs)


class _DeadlineConnectionMixin:
    response_class = _DeadlineResponse

    def connect(self) -> None:
        left = time_left()
        if left is not None and not (isinstance(self.timeout, (int, float)) and self.timeout <= left):
            self.timeout = left  # no timeout, urllib3's default or a longer one: the deadline's is shorter
        super().connect()


class _DeadlineHTTPConnection(_DeadlineConnectionMixin, HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_DeadlineConnectionMixin, HTTPSConnection):
    pass


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_POOLS = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections honour `deadline()` (also through an HTTP(S) proxy)."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:  # SOCKS managers bring their own pools
            manager.pool_classes_by_scheme = _POOLS
        return manager


def deadline_session() -> requests.Session:
    """A session for azure-core's RequestsTransport; retries are azure-core's, as with its own session."""
    session = requests.Session()
    adapter = DeadlineAdapter(max_retries=Retry(total=False, redirect=False, raise_on_status=False))
    for scheme in ("http://", "https://"):
        session.mount(scheme, adapter)
    return session
