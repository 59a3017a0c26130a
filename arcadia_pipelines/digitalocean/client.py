"""A thin wrapper over the official pydo client: complete listings, GPU droplets, validated records,
a deadline on every call, clear token-free errors.

pydo, azure-core and requests are imported when a client is made, not with this module: the code
location and the CLI load it on every start without calling DigitalOcean."""

from __future__ import annotations

import functools
from typing import Any, Callable

from . import records
from .errors import (
    DigitalOceanConnectionError,
    DigitalOceanError,
    DigitalOceanTimeoutError,
    error_for_status,
    missing_token,
)
from .listing import Listed, read_listing
from .pagination import MAX_PER_PAGE
from .records import Inventory, InvoiceItem, InvoiceSummary

DEFAULT_API_URL = "https://api.digitalocean.com"
API_URL_ENV_VAR = "DIGITALOCEAN_API_URL"
INVOICES_PATH = "/v2/customers/my/invoices"
DEFAULT_TIMEOUT = 60  # seconds for one call: connection, retries and the whole body
DEFAULT_LISTING_TIMEOUT = 600  # seconds for one listing: every page


def _status_and_body(pipeline_response, body, _headers) -> tuple[int, Any]:
    # pydo returns some 404 bodies instead of raising; this `cls` hook lets us see the status.
    return pipeline_response.http_response.status_code, body


def _error_detail(response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except Exception:  # not JSON, or no body: the status says enough
        return ""


def _droplet_id(listed: Listed) -> int | None:
    ident = listed.item.get("id")
    return ident if isinstance(ident, int) else None


class DigitalOceanClient:
    """Read-only access to the DigitalOcean resources billing needs.

    Listings are complete or fail (see `listing`); `inventory`, `issued_invoices` and
    `invoice_lines` give validated records (see `records`), the other methods plain dicts. Every
    call (all its retries and its whole body) ends within `timeout` seconds, every listing (all
    its pages) within `listing_timeout` seconds.
    """

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        listing_timeout: float = DEFAULT_LISTING_TIMEOUT,
        retries: int = 3,
        retry_backoff_factor: float = 0.8,
        retry_backoff_max: float = 60,
    ) -> None:
        import pydo

        from .transport import call_options, retry_policy, transport

        token = (token or "").strip()
        if not token:
            raise missing_token()
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.listing_timeout = listing_timeout
        self.retries = retries
        self._options = call_options(self.api_url)
        self._pydo = pydo.Client(
            token,
            endpoint=self.api_url,
            connection_timeout=timeout,
            read_timeout=timeout,
            retry_policy=retry_policy(retries, retry_backoff_factor, retry_backoff_max, timeout),
            transport=transport(),
        )

    def __repr__(self) -> str:
        return f"DigitalOceanClient(api_url={self.api_url!r})"

    def droplets(self) -> list[dict]:
        """Every droplet, GPU droplets included (the API lists those only with `type=gpus`)."""
        return [listed.item for listed, _ in self._droplet_listings()]

    def volumes(self) -> list[dict]:
        """Every block storage volume."""
        return [listed.item for listed in self._volume_listing()]

    def inventory(self) -> Inventory:
        """Every droplet and volume as validated records; a malformed item fails the whole listing."""
        return Inventory(tuple(records.droplet(listed, gpu) for listed, gpu in self._droplet_listings()),
                         tuple(map(records.volume, self._volume_listing())))

    def invoices(self) -> list[dict]:
        """Every issued invoice (`invoice_uuid`, `amount`, `invoice_period`, ...), newest first."""
        return [listed.item for listed in self._invoice_listing()]

    def issued_invoices(self) -> list[InvoiceSummary]:
        return [records.invoice_summary(listed) for listed in self._invoice_listing()]

    def invoice_preview(self) -> dict | None:
        """The month-to-date invoice preview, if DigitalOcean has one."""
        from .deadline import deadline

        with deadline(self.timeout):
            body = self._get(self._pydo.invoices.list, INVOICES_PATH, "billing:read", page=1, per_page=1)
        return body.get("invoice_preview")

    def invoice_items(self, invoice_uuid: str) -> list[dict]:
        """Every line of one invoice."""
        return [listed.item for listed in self._item_listing(invoice_uuid)]

    def invoice_lines(self, invoice_uuid: str) -> list[InvoiceItem]:
        """Every line of one invoice as validated records, in DigitalOcean's order."""
        return [records.invoice_item(listed, invoice_uuid, n)
                for n, listed in enumerate(self._item_listing(invoice_uuid), start=1)]

    def _droplet_listings(self) -> list[tuple[Listed, bool]]:
        """(droplet, listed as a GPU droplet), each droplet once."""
        list_droplets = self._pydo.droplets.list
        regular = self._listing("droplet listing", list_droplets, "/v2/droplets", "droplets", "id", "droplet:read")
        gpus = self._listing("GPU droplet listing", list_droplets, "/v2/droplets", "droplets", "id", "droplet:read",
                             type="gpus")
        listed_twice = ({_droplet_id(listed) for listed in regular} & {_droplet_id(listed) for listed in gpus}) - {None}
        return [(listed, False) for listed in regular] + [
            (listed, True) for listed in gpus if _droplet_id(listed) not in listed_twice]

    def _volume_listing(self) -> list[Listed]:
        return self._listing("volume listing", self._pydo.volumes.list, "/v2/volumes", "volumes", "id",
                             "block_storage:read")

    def _invoice_listing(self) -> list[Listed]:
        return self._listing("invoice listing", self._pydo.invoices.list, INVOICES_PATH, "invoices", "invoice_uuid",
                             "billing:read")

    def _item_listing(self, invoice_uuid: str) -> list[Listed]:
        get_invoice = functools.partial(self._pydo.invoices.get_by_uuid, invoice_uuid)
        return self._listing(f"invoice {invoice_uuid} item listing", get_invoice, f"{INVOICES_PATH}/{invoice_uuid}",
                             "invoice_items", None, "billing:read")

    def _listing(self, what: str, operation: Callable, path: str, key: str, id_key: str | None, scope: str,
                 **params) -> list[Listed]:
        from .deadline import deadline

        def fetch_page(page: int) -> dict:
            with deadline(self.timeout):
                return self._get(operation, path, scope, page=page, per_page=MAX_PER_PAGE, **params)

        with deadline(self.listing_timeout):
            return read_listing(fetch_page, what, key, id_key, path)

    def _get(self, operation: Callable, path: str, scope: str, **params) -> dict:
        """One pydo call; every failure becomes a DigitalOceanError without the pydo exception
        chained, since that carries the request (and its Authorization header) along."""
        from azure.core.exceptions import (
            AzureError,
            HttpResponseError,
            ServiceRequestError,
            ServiceRequestTimeoutError,
            ServiceResponseTimeoutError,
        )

        from .deadline import DeadlineExceeded

        try:
            status, body = operation(**params, cls=_status_and_body, **self._options)
        except DeadlineExceeded as exc:
            raise DigitalOceanTimeoutError(
                f"DigitalOcean did not answer GET {path} in time: {exc}"
            ) from None
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
