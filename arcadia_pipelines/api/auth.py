"""Bearer-key authentication: 401 for a missing, unknown or revoked key, 403 for a tenant key on
an admin route. Keys are never echoed in answers or logs."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.requests import Request

from .errors import ApiError
from .keys import Principal, authenticate


def principal(request: Request, engine: sa.Engine, admin_only: bool = False) -> Principal:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "send an API key as 'Authorization: Bearer <key>'")
    with engine.connect() as conn:
        who = authenticate(conn, key.strip())
    if who is None:
        raise ApiError(401, "unknown or revoked API key")
    if admin_only and not who.is_admin:
        raise ApiError(403, "this route is for platform_admin keys")
    return who
