"""Serving the API with uvicorn (on h11, for bounded request heads answered in our error shape:
limits.py), with key-shaped text scrubbed from every log line, in ARCADIA_API_WORKERS worker
processes (default: one per core this process may run on) sharing one listening socket: one process
runs Python on one core at a time, so a single one would leave the others idle under load."""

from __future__ import annotations

import gc
import logging
import os
import re

import sqlalchemy as sa
import uvicorn
from uvicorn.supervisors import Multiprocess

from arcadia_pipelines.documents.unicode_font import load_fonts
from arcadia_pipelines.warehouse.engine import create_warehouse_engine

from .app import create_app
from .keys import KEY_MARK
from .limits import MAX_HEAD_BYTES, JsonErrorsH11Protocol

_KEYISH = re.compile(re.escape(KEY_MARK) + r"[A-Za-z0-9_\-]+")
LOGGERS = ("uvicorn.access", "uvicorn.error", "arcadia_pipelines.api")
WORKERS_VAR, MAX_WORKERS = "ARCADIA_API_WORKERS", 64
_WAREHOUSE_VAR = "ARCADIA_WAREHOUSE_URL"  # how the workers learn the warehouse serve() was given


class RedactKeys(logging.Filter):
    """Keys travel only in the Authorization header, which is never logged; this also catches
    one a client wrongly puts in a URL (the access log prints query strings)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) for a in record.args)
        return True


def _redact(value):
    return _KEYISH.sub(KEY_MARK + "[redacted]", value) if isinstance(value, str) else value


def server_config(app, **options) -> uvicorn.Config:
    """The uvicorn settings the API is served with (`options`: host, port, logging...)."""
    return uvicorn.Config(app, http=JsonErrorsH11Protocol, h11_max_incomplete_event_size=MAX_HEAD_BYTES, **options)


def api_workers() -> int:
    """ARCADIA_API_WORKERS, or the cores this process may run on; ValueError (one line) when malformed."""
    text = os.environ.get(WORKERS_VAR, "").strip()
    if not text:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_WORKERS):
        raise ValueError(f"{WORKERS_VAR} must be a whole number from 1 to {MAX_WORKERS}, got {text[:20]!r}")
    return int(text)


def _log_like_uvicorn() -> None:
    """Our status moves beside uvicorn's lines, and no key in any of them (in each worker process)."""
    ours = logging.getLogger("arcadia_pipelines.api")
    ours.setLevel(logging.INFO)
    ours.handlers, ours.propagate = list(logging.getLogger("uvicorn").handlers), False
    for name in LOGGERS:
        logging.getLogger(name).addFilter(RedactKeys())


def _ready(app):
    """`app` with the PDFs' fonts read (0.5 s of CPU, otherwise spent in a process's first PDF), and
    everything start-up allocated frozen out of the garbage collector's full passes, which a long-lived
    heap made slow under load."""
    load_fonts()
    gc.freeze()
    return app


def worker_app():
    """The app of one worker process (uvicorn's factory, called after it configured logging)."""
    _log_like_uvicorn()
    return _ready(create_app(create_warehouse_engine(os.environ[_WAREHOUSE_VAR])))


def serve(engine: sa.Engine, host: str, port: int) -> None:
    """Serve the API on `engine`'s warehouse, in one process or in api_workers() worker processes."""
    workers = api_workers()
    if workers == 1:
        config = server_config(_ready(create_app(engine)), host=host, port=port)  # configures uvicorn's logging
        _log_like_uvicorn()
        uvicorn.Server(config).run()
        return
    os.environ[_WAREHOUSE_VAR] = engine.url.render_as_string(hide_password=False)  # inherited by the workers
    engine.dispose()  # each worker has engines of its own; the parent keeps no idle connection
    config = server_config(f"{__name__}:worker_app", factory=True, workers=workers, host=host, port=port)
    _log_like_uvicorn()  # the supervisor's own lines
    Multiprocess(config, sockets=[config.bind_socket()]).run()
