"""DigitalOcean access for billing: the pydo wrapper, complete listings, validated records, call
deadlines, errors and money-string parsing.

No Dagster here: the Dagster resource is `arcadia_pipelines.defs.digitalocean.resource`.
"""

from .client import API_URL_ENV_VAR, DEFAULT_API_URL, DigitalOceanClient
from .errors import (
    TOKEN_ENV_VAR,
    DigitalOceanAuthError,
    DigitalOceanConnectionError,
    DigitalOceanError,
    DigitalOceanForbiddenError,
    DigitalOceanListingError,
    DigitalOceanMalformedError,
    DigitalOceanNotFoundError,
    DigitalOceanTimeoutError,
    DigitalOceanUnavailableError,
)
from .money import amount_to_cents

__all__ = [
    "API_URL_ENV_VAR",
    "DEFAULT_API_URL",
    "TOKEN_ENV_VAR",
    "DigitalOceanAuthError",
    "DigitalOceanClient",
    "DigitalOceanConnectionError",
    "DigitalOceanError",
    "DigitalOceanForbiddenError",
    "DigitalOceanListingError",
    "DigitalOceanMalformedError",
    "DigitalOceanNotFoundError",
    "DigitalOceanTimeoutError",
    "DigitalOceanUnavailableError",
    "amount_to_cents",
]
