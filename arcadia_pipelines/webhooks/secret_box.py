"""Signing secrets: made here, shown once, stored encrypted.

HMAC signing needs the secret itself, so it is encrypted (Fernet: AES-128-CBC + HMAC-SHA256), not
hashed. The key is ARCADIA_WEBHOOK_KEY when set (a Fernet key; give every process that delivers
or rotates the same one), otherwise the file `webhook.key` in DAGSTER_HOME, created with mode
0600 on first use, which suits a single host whose CLI and Dagster share DAGSTER_HOME.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from arcadia_pipelines.warehouse.engine import dagster_home

KEY_ENV = "ARCADIA_WEBHOOK_KEY"
KEY_FILE = "webhook.key"
SECRET_MARK = "whsec_"


class SecretKeyError(ValueError):
    """The encryption key is missing, malformed or not the one a secret was encrypted with."""


def new_secret() -> str:
    return SECRET_MARK + secrets.token_urlsafe(32)


def _key_file() -> Path:
    path = dagster_home() / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "wb") as f:
        f.write(Fernet.generate_key())
    return path


def _fernet() -> Fernet:
    key = os.environ.get(KEY_ENV)
    source = KEY_ENV
    if not key:
        path = _key_file()
        key, source = path.read_text().strip(), str(path)
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        raise SecretKeyError(f"{source} is not a webhook encryption key (32 url-safe base64-encoded bytes, e.g. "
                             "from `python -c 'from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())'`)") from None


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str, endpoint_id: int) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretKeyError(f"webhook endpoint {endpoint_id}'s secret was encrypted with another key: set "
                             f"{KEY_ENV} to the key it was made with, or `webhooks rotate-secret {endpoint_id}`") from None
