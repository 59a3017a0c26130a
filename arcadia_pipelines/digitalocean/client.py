"""A thin wrapper over the official pydo client: every page, GPU droplets, clear token-free errors."""

from __future__ import annotations

import functools
import itertools
from typing import Any, Callable, Iterator

import pydo
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseTimeoutError,
)

from .errors import (
    DigitalOceanConnectionError,
    DigitalOceanError,
    DigitalOceanTimeoutError,
    error_for_status,
    missing_token,
)
from .pagination import MAX_PER_PAGE, next_page, unique
from .transport import call_options, retry_policy

DEFAULT_API_URL = "https://api.digitalocean.com"
API_URL_ENV_VAR = "DIGITALOCEAN_API_URL"
INVOICES_PATH = "/v2/customers/my/invoices"


def _status_and_body(pipeline_response, body, _headers) -> tuple[int, Any]:
    # pydo returns some 404 bodies instead of raising; this `cls` hook lets us see the status.
    return pipeline_response.http_response.status_code, body


def _error_detail(response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except Exception:  # not JSON, or no body: the status says enough
        return ""


class DigitalOceanClient:
    """Read-only access to the DigitalOcean resources billing needs. Methods yield plain dicts."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 30,
        *,
        retries: int = 3,
        retry_backoff_factor: float = 0.8,
        retry_backoff_max: float = 60,
    ) -> None:
        token = (token or "").strip()
        if not token:
            raise missing_token()
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self._options = call_options(self.api_url)
        self._pydo = pydo.Client(
            token,
            endpoint=self.api_url,
            connection_timeout=timeout,
            read_timeout=timeout,
            retry_policy=retry_policy(retries, retry_backoff_factor, retry_backoff_max, timeout),
        )

    def __repr__(self) -> str:
        return f"DigitalOceanClient(api_url={self.api_url!r})"

    def droplets(self) -> Iterator[dict]:
        """Every droplet, GPU droplets included (the API lists those only with `type=gpus`)."""
        list_droplets = self._pydo.droplets.list
        regular = self._pages(list_droplets, "/v2/droplets", "droplets", "droplet:read")
        gpus = self._pages(list_droplets, "/v2/droplets", "droplets", "droplet:read", type="gpus")
        return unique(itertools.chain(regular, gpus), "id")

    def volumes(self) -> Iterator[dict]:
        """Every block storage volume."""
        pages = self._pages(self._pydo.volumes.list, "/v2/volumes", "volumes", "block_storage:read")
        return unique(pages, "id")

    def invoices(self) -> Iterator[dict]:
        """Every issued invoice (`invoice_uuid`, `amount`, `invoice_period`, ...), newest first."""
        pages = self._pages(self._pydo.invoices.list, INVOICES_PATH, "invoices", "billing:read")
        return unique(pages, "invoice_uuid")

    def invoice_preview(self) -> dict | None:
        """The month-to-date invoice preview, if DigitalOcean has one."""
        body = self._get(self._pydo.invoices.list, INVOICES_PATH, "billing:read", page=1, per_page=1)
        return body.get("invoice_preview")

    def invoice_items(self, invoice_uuid: str) -> Iterator[dict]:
        """Every line of one invoice."""
        get_invoice = functools.partial(self._pydo.invoices.get_by_uuid, invoice_uuid)
        return self._pages(get_invoice, f"{INVOICES_PATH}/{invoice_uuid}", "invoice_items", "billing:read")

    def _pages(self, operation: Callable, path: str, key: str, scope: str, **params) -> Iterator[dict]:
        page: int | None = 1
        while page is not None:
            body = self._get(operation, path, scope, page=page, per_page=MAX_PER_PAGE, **params)
            yield from body.get(key) or []
            page = next_page(body, page, path)

    def _get(self, operation: Callable, path: str, scope: str, **params) -> dict:
        """One pydo call; every failure becomes a DigitalOceanError without the pydo exception
        chained, since that carries the request (and its Authorization header) along."""
        try:
            status, body = operation(**params, cls=_status_and_body, **self._options)
        except HttpResponseError as exc:
            if exc.status_code is None:
                raise DigitalOceanConnectionError(
                    f"Connection to DigitalOcean broke during GET {path}"
                ) from None
            status, body = exc.status_code, None
            detail = _error_detail(exc.response)
        except (ServiceRequestTimeoutError, ServiceResponseTimeoutError):
            raise DigitalOceanTimeoutError(
                f"DigitalOcean did not answer GET {path}: timed out after {self.timeout:g}s"
            ) from None
        except ServiceRequestError:
            raise DigitalOceanConnectionError(
                f"Could not reach DigitalOcean at {self.api_url} for GET {path}"
            ) from None
        except AzureError as exc:
            raise DigitalOceanConnectionError(
                f"Connection to DigitalOcean failed during GET {path} ({type(exc).__name__})"
            ) from None
        else:
            detail = str(body.get("message", "")) if isinstance(body, dict) else ""
        if status != 200:
            raise error_for_status(status, path, scope=scope, detail=detail, retries=self.retries)
        if not isinstance(body, dict):
            raise DigitalOceanError(f"DigitalOcean sent an unreadable answer to GET {path}")
        return body
