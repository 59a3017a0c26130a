"""How the pydo client talks HTTP: where the token may go, bounded retries, sockets with a deadline."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import RequestsTransport

from .deadline import deadline_session, time_left
from .errors import DigitalOceanError


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def call_options(api_url: str) -> dict:
    """Per-call pipeline options for `api_url`.

    azure-core refuses to send a bearer token over plain http unless a call passes
    `enforce_https=False`; we allow that for loopback test servers only and refuse anything else.
    """
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DigitalOceanError(f"DigitalOcean API URL must be an http(s) URL, got {api_url!r}")
    if parts.scheme == "https":
        return {}
    if is_loopback(parts.hostname):
        return {"enforce_https": False}
    raise DigitalOceanError(
        f"Refusing to send the DigitalOcean token over plain http to {parts.hostname}; use https"
    )


class CappedRetryPolicy(RetryPolicy):
    """azure-core's retries (408/429/5xx, connection errors; Retry-After honoured), except that no
    wait is longer than `retry_backoff_max` or than the time left before the call's deadline."""

    def get_retry_after(self, response):
        after = super().get_retry_after(response)
        return None if after is None else self._within_deadline(min(after, self.backoff_max))

    def get_backoff_time(self, settings):
        return self._within_deadline(super().get_backoff_time(settings))

    @staticmethod
    def _within_deadline(wait: float) -> float:
        left = time_left()
        return wait if left is None else min(wait, left)


def retry_policy(retries: int, backoff_factor: float, backoff_max: float, deadline_seconds: float) -> RetryPolicy:
    return CappedRetryPolicy(
        retry_total=retries,
        retry_connect=retries,
        retry_read=retries,
        retry_status=retries,
        retry_backoff_factor=backoff_factor,
        retry_backoff_max=backoff_max,
        timeout=deadline_seconds,  # azure-core's own budget for all attempts of one call
    )


def transport() -> RequestsTransport:
    """azure-core's requests transport over a session whose sockets honour `deadline()`."""
    return RequestsTransport(session=deadline_session())
