"""Secrets masked out of any text a person or a log may see: passwords in URLs and DSNs,
DigitalOcean tokens, our API keys and bearer credentials."""

from __future__ import annotations

import os
import re

MASK = "***"

_PATTERNS = [
    # scheme://user:password@host -> scheme://user:***@host
    (re.compile(r"(?P<keep>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)\S+(?=@)"), rf"\g<keep>{MASK}"),
    # libpq key=value DSNs and query strings: password=...
    (re.compile(r"(?P<keep>\b(?:password|passwd|pwd)\s*=\s*)(?:'[^']*'|\"[^\"]*\"|[^\s&;,)]+)", re.IGNORECASE),
     rf"\g<keep>{MASK}"),
    (re.compile(r"(?P<keep>\bBearer\s+)\S+", re.IGNORECASE), rf"\g<keep>{MASK}"),
    (re.compile(r"\bdo[poa]_v1_[A-Za-z0-9]+"), MASK),   # DigitalOcean personal/OAuth/app tokens
    (re.compile(r"\bak_[A-Za-z0-9_-]{20,}"), MASK),     # our API keys (arcadia_pipelines.api.keys)
    (re.compile(r"\bwhsec_[A-Za-z0-9_-]{20,}"), MASK),  # webhook signing secrets (arcadia_pipelines.webhooks)
]


SECRET_ENV = ("DIGITALOCEAN_TOKEN", "ARCADIA_WEBHOOK_KEY")  # values masked wherever they appear, whatever their shape


def mask_secrets(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for name in SECRET_ENV:
        value = os.environ.get(name, "")
        if len(value) >= 8:
            text = text.replace(value, MASK)
    return text
