"""API keys: created, listed, revoked and checked against the `api_keys` table.

A key is `ak_` + 43 random URL-safe characters (256 bits). The warehouse keeps only its
SHA-256 (a fast hash is enough for a key this random) and a short prefix people can
recognise; the key itself is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from arcadia_pipelines.warehouse.schema import API_KEY_ROLES, api_keys, tenants

KEY_MARK = "ak_"
PREFIX_CHARS = len(KEY_MARK) + 6
MAX_KEY_CHARS = 200  # anything longer is not one of ours; never hashed or looked up


class ApiKeyError(ValueError):
    """Bad input to a key command, with a one-line reason."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's id, role and (for tenant keys) tenant."""

    key_id: int
    role: str
    tenant_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "platform_admin"

    @property
    def scope(self) -> str | None:
        """The tenant the caller's reads and writes are limited to; None: every tenant (an admin)."""
        return None if self.is_admin else self.tenant_id


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(engine: sa.Engine, role: str, tenant_id: str | None = None) -> tuple[int, str]:
    """A new key for `role` (and `tenant_id` for tenant keys): its id and the key, never stored."""
    if role not in API_KEY_ROLES:
        raise ApiKeyError(f"role must be one of {', '.join(API_KEY_ROLES)}, got {role!r}")
    if role == "tenant" and not tenant_id:
        raise ApiKeyError("a tenant key needs --tenant ID")
    if role != "tenant" and tenant_id:
        raise ApiKeyError(f"a {role} key sees every tenant; drop --tenant")
    key = KEY_MARK + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        if tenant_id and conn.scalar(sa.select(tenants.c.id).where(tenants.c.id == tenant_id)) is None:
            raise ApiKeyError(f"unknown tenant {tenant_id!r}")
        key_id = conn.scalar(sa.insert(api_keys).returning(api_keys.c.id), {
            "key_prefix": key[:PREFIX_CHARS], "key_hash": hash_key(key), "role": role,
            "tenant_id": tenant_id, "created_at": datetime.now(timezone.utc)})
    return key_id, key


def revoke_key(engine: sa.Engine, key_id: int) -> tuple[datetime, bool]:
    """Revoke key `key_id`: when it was revoked, and whether this call did it."""
    with engine.begin() as conn:
        row = conn.execute(sa.select(api_keys.c.revoked_at).where(api_keys.c.id == key_id)).first()
        if row is None:
            raise ApiKeyError(f"no api key with id {key_id}")
        if row.revoked_at is not None:
            return row.revoked_at, False
        now = datetime.now(timezone.utc)
        conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=now))
        return now, True


def list_keys(engine: sa.Engine) -> list[dict]:
    """Every key's id, prefix, role, tenant and timestamps; never the hash."""
    cols = [api_keys.c[n] for n in ("id", "key_prefix", "role", "tenant_id", "created_at", "revoked_at")]
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(sa.select(*cols).order_by(api_keys.c.id))]


def authenticate(conn: sa.Connection, key: str) -> Principal | None:
    """The live key's principal, or None for an unknown, revoked or malformed key."""
    if not key.startswith(KEY_MARK) or len(key) > MAX_KEY_CHARS:
        return None
    digest = hash_key(key)
    row = conn.execute(sa.select(api_keys.c.id, api_keys.c.key_hash, api_keys.c.role, api_keys.c.tenant_id)
                       .where(api_keys.c.key_hash == digest, api_keys.c.revoked_at.is_(None))).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return Principal(row.id, row.role, row.tenant_id)
