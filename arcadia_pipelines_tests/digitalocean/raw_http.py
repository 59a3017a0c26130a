"""Plain-urllib GETs against the fake API, to see exactly what it sends."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode


def get(base_url: str, path: str, token: str | None, **query) -> tuple[int, dict, dict]:
    """(status, lower-cased headers, JSON body) of `GET path?query`."""
    url = f"{base_url}{path}?{urlencode(query)}" if query else f"{base_url}{path}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, payload = error.code, error.headers, error.read()
    return status, {k.lower(): v for k, v in headers.items()}, json.loads(payload)
