"""Managing endpoints: add, disable, enable, rotate a secret, queue redeliveries.

A new endpoint starts at the latest event: it receives what happens from now on
(`redeliver --endpoint ID --from EVENT_ID` sends history). A disabled endpoint keeps its cursor
and queue, and resumes where it stopped when enabled again.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa

from arcadia_pipelines.warehouse.schema import webhook_deliveries, webhook_endpoints

from .event_types import EVENT_TYPES
from .events import latest_event_id
from .pass_lock import delivery_lock
from .secret_box import encrypt, new_secret

MAX_URL_CHARS = 2000
LOCK_WAIT_SECONDS = 60


class WebhookError(ValueError):
    """Bad input to a webhooks command, with a one-line reason."""


def shown_url(url: str) -> str:
    """The URL with any password in it masked, for lists and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=f"{parts.username}:***@{parts.hostname}"
                          + (f":{parts.port}" if parts.port else "")).geturl()


def check_url(url: str) -> str:
    parts = urlsplit(url) if len(url) <= MAX_URL_CHARS and url.isprintable() and " " not in url else None
    try:
        ok = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:  # a port that is not a number
        ok = False
    if not ok:
        raise WebhookError(f"--url must be an http:// or https:// URL with a host (at most {MAX_URL_CHARS} characters)")
    return url


def parse_event_types(text: str | None) -> str:
    """The canonical comma-separated list (EVENT_TYPES order); every type when `text` is None."""
    if text is None:
        return ",".join(EVENT_TYPES)
    wanted = {t.strip() for t in text.split(",") if t.strip()}
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown or not wanted:
        raise WebhookError(f"--events takes event types from {', '.join(EVENT_TYPES)}, got {text!r}")
    return ",".join(t for t in EVENT_TYPES if t in wanted)


def add_endpoint(engine: sa.Engine, url: str, event_types: str | None = None) -> tuple[int, str]:
    """A new endpoint: its id and its signing secret (stored only encrypted)."""
    url, types = check_url(url), parse_event_types(event_types)
    secret = new_secret()
    with engine.begin() as conn:
        endpoint_id = conn.scalar(sa.insert(webhook_endpoints).returning(webhook_endpoints.c.id), {
            "url": url, "event_types": types, "secret_encrypted": encrypt(secret),
            "created_at": datetime.now(timezone.utc), "cursor_event_id": latest_event_id(conn)})
    return endpoint_id, secret


def _existing(conn: sa.Connection, endpoint_id: int) -> sa.Row:
    row = conn.execute(sa.select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)).first()
    if row is None:
        raise WebhookError(f"no webhook endpoint with id {endpoint_id} (see `webhooks list`)")
    return row


def set_disabled(engine: sa.Engine, endpoint_id: int, disabled: bool) -> bool:
    """Disable or enable; whether this call changed it."""
    e = webhook_endpoints
    with engine.begin() as conn:
        row = _existing(conn, endpoint_id)
        if (row.disabled_at is not None) == disabled:
            return False
        conn.execute(sa.update(e).where(e.c.id == endpoint_id)
                     .values(disabled_at=datetime.now(timezone.utc) if disabled else None))
        return True


def rotate_secret(engine: sa.Engine, endpoint_id: int) -> str:
    """A new signing secret for the endpoint; requests from now on are signed with it."""
    secret = new_secret()
    e = webhook_endpoints
    with engine.begin() as conn:
        _existing(conn, endpoint_id)
        conn.execute(sa.update(e).where(e.c.id == endpoint_id).values(secret_encrypted=encrypt(secret)))
    return secret


def redeliver(engine: sa.Engine, endpoint_id: int | None = None, from_event: int | None = None) -> int:
    """Queue events again for the endpoint (every endpoint when None); returns how many endpoints or
    parked events it queued. Without `from_event`: the parked (dead) events, sent before the endpoint
    goes on past its cursor. With it: every event from `from_event` on, again, in order (the cursor
    goes back; parked or retrying events from there on start afresh)."""
    e, d = webhook_endpoints, webhook_deliveries
    with delivery_lock(engine, wait_seconds=LOCK_WAIT_SECONDS) as taken:
        if not taken:
            raise WebhookError("a delivery pass is still running after a minute; try again when it ends")
        with engine.begin() as conn:
            if endpoint_id is not None:
                _existing(conn, endpoint_id)
            scope = [d.c.endpoint_id == endpoint_id] if endpoint_id is not None else []
            if from_event is None:
                return conn.execute(sa.update(d).where(d.c.parked_at.is_not(None), *scope).values(
                    parked_at=None, attempts=0, next_attempt_at=datetime.now(timezone.utc))).rowcount
            conn.execute(sa.delete(d).where(d.c.event_id >= from_event, *scope))
            back = sa.case((e.c.cursor_event_id > from_event - 1, from_event - 1), else_=e.c.cursor_event_id)
            ep_scope = [e.c.id == endpoint_id] if endpoint_id is not None else []
            return conn.execute(sa.update(e).where(*ep_scope).values(cursor_event_id=back)).rowcount
