"""The `Arcadia-Signature` header: `t=UNIX_SECONDS,v1=HEX`, HEX the HMAC-SHA256 with the endpoint's
signing secret over f"{t}.{raw_body}". A receiver recomputes it and refuses a timestamp more than
TOLERANCE_SECONDS away from its clock (README, "Webhooks"), so a captured request cannot be
replayed later."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Arcadia-Signature"
EVENT_ID_HEADER = "Arcadia-Event-Id"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
