"""One-line, token-free errors for everything that can go wrong talking to DigitalOcean."""

from __future__ import annotations

TOKEN_ENV_VAR = "DIGITALOCEAN_TOKEN"


class DigitalOceanError(Exception):
    """Base class. `status` is the HTTP status when DigitalOcean answered, else None."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DigitalOceanAuthError(DigitalOceanError):
    """401: the token is wrong, expired or revoked."""


class DigitalOceanForbiddenError(DigitalOceanError):
    """403: the token is valid but lacks a scope."""


class DigitalOceanNotFoundError(DigitalOceanError):
    """404."""


class DigitalOceanUnavailableError(DigitalOceanError):
    """429 or 5xx still coming back after every retry."""


class DigitalOceanTimeoutError(DigitalOceanError):
    """No complete answer within the deadline."""


class DigitalOceanListingError(DigitalOceanError):
    """A listing that is incomplete or contradicts its own `meta.total`: none of it may be applied."""


class DigitalOceanMalformedError(DigitalOceanError):
    """An answer, or one item of it, that breaks a rule billing relies on (named in the message)."""


class DigitalOceanConnectionError(DigitalOceanError):
    """The API host could not be reached at all."""


def missing_token() -> DigitalOceanError:
    return DigitalOceanError(f"No DigitalOcean API token: set {TOKEN_ENV_VAR}")


def error_for_status(
    status: int, path: str, *, scope: str | None = None, detail: str = "", retries: int = 0
) -> DigitalOceanError:
    """The error for a non-200 answer to `GET path`. `detail` is DigitalOcean's own message."""
    if status == 401:
        return DigitalOceanAuthError(
            f"DigitalOcean rejected the token (401 Unauthorized); check {TOKEN_ENV_VAR}", status
        )
    if status == 403:
        needs = f" (needs {scope})" if scope else ""
        return DigitalOceanForbiddenError(
            f"DigitalOcean answered 403 forbidden: token lacks scope for GET {path}{needs}", status
        )
    if status == 404:
        return DigitalOceanNotFoundError(f"DigitalOcean resource not found: {path}", status)
    if status == 429 or status >= 500:
        return DigitalOceanUnavailableError(
            f"DigitalOcean kept answering {status} to GET {path} after {retries} retries; try again later",
            status,
        )
    suffix = f": {detail}" if detail else ""
    return DigitalOceanError(f"DigitalOcean answered {status} to GET {path}{suffix}", status)
