"""Bearer-key authentication: 401 for a missing, unknown or revoked key, 403 for a tenant key on
an admin route. Keys are never echoed in answers or logs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa
from starlette.requests import Request

from .errors import ApiError
from .keys import Principal, authenticate


def _bearer_key(request: Request) -> str:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "send an API key as 'Authorization: Bearer <key>'")
    return key.strip()


def _checked(who: Principal | None, admin_only: bool) -> Principal:
    if who is None:
        raise ApiError(401, "unknown or revoked API key")
    if admin_only and not who.is_admin:
        raise ApiError(403, "this route is for platform_admin keys")
    return who


def principal(request: Request, engine: sa.Engine, admin_only: bool = False) -> Principal:
    key = _bearer_key(request)
    with engine.connect() as conn:
        return _checked(authenticate(conn, key), admin_only)


@contextlib.contextmanager
def reading(request: Request, engine: sa.Engine) -> Iterator[tuple[Principal, sa.Connection]]:
    """The caller, and the read-only connection their key was checked on for the request's reads:
    one connection and one transaction per read instead of one for the key and one for the data."""
    key = _bearer_key(request)
    with engine.connect() as conn:
        yield _checked(authenticate(conn, key), False), conn
