"""Serving the API with uvicorn (on h11, for bounded request heads answered in our error shape:
limits.py), with key-shaped text scrubbed from every log line."""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
import uvicorn

from .app import create_app
from .keys import KEY_MARK
from .limits import MAX_HEAD_BYTES, JsonErrorsH11Protocol

_KEYISH = re.compile(re.escape(KEY_MARK) + r"[A-Za-z0-9_\-]+")
LOGGERS = ("uvicorn.access", "uvicorn.error", "arcadia_pipelines.api")


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


def serve(engine: sa.Engine, host: str, port: int) -> None:
    config = server_config(create_app(engine), host=host, port=port)  # configures uvicorn's logging
    ours = logging.getLogger("arcadia_pipelines.api")  # status moves, beside uvicorn's lines
    ours.setLevel(logging.INFO)
    ours.handlers, ours.propagate = list(logging.getLogger("uvicorn").handlers), False
    for name in LOGGERS:
        logging.getLogger(name).addFilter(RedactKeys())
    uvicorn.Server(config).run()
