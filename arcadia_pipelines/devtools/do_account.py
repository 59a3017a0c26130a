"""The mutable contents of a fake DigitalOcean account: droplets, volumes, invoices.

Tests and the demo change it between pipeline runs; every method is thread-safe and returns copies,
so callers never share objects with the HTTP server thread.
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from datetime import datetime
from typing import Iterable

from . import do_builders as build

_IDS = uuid.UUID("6f1c1a2e-3b43-4f8e-9d55-2f0c5e1d7a10")  # namespace: same uuids on every run


class FakeDoAccount:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._droplets: dict[int, dict] = {}
        self._volumes: dict[str, dict] = {}
        self._invoices: dict[str, dict] = {}  # uuid -> summary, issued invoices only
        self._items: dict[str, list[dict]] = {}  # uuid -> items, the preview's too
        self._preview: dict | None = None
        self._numbers = itertools.count(1)

    # -- reads (what the API serves) ---------------------------------------------------------

    def droplets(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(list(self._droplets.values()))

    def volumes(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(list(self._volumes.values()))

    def invoices(self) -> list[dict]:
        """Issued invoices, newest period first like DigitalOcean."""
        with self._lock:
            return copy.deepcopy(sorted(self._invoices.values(), key=lambda i: i["invoice_period"], reverse=True))

    def invoice_preview(self) -> dict | None:
        with self._lock:
            return copy.deepcopy(self._preview)

    def invoice_items(self, invoice_uuid: str) -> list[dict] | None:
        """Items of an invoice or of the preview; None for an unknown uuid."""
        with self._lock:
            return copy.deepcopy(self._items.get(invoice_uuid))

    # -- droplets --------------------------------------------------------------------------

    def add_droplet(
        self,
        name: str | None = None,
        *,
        size_slug: str = "s-1vcpu-1gb",
        region: str = "nyc3",
        tags: Iterable[str] = (),
        created_at: datetime | str | None = None,
        status: str = "active",
        id: int | None = None,
    ) -> dict:
        """A new droplet; a `gpu-*` size slug makes it a GPU droplet. Status: active/off/new."""
        with self._lock:
            id = id if id is not None else 500_000_000 + next(self._numbers)
            return self._add(self._droplets, "droplet", id, build.droplet(
                id, name or f"droplet-{id}", size_slug=size_slug, region_slug=region, tags=tags,
                created_at=created_at, status=status,
            ))

    def remove_droplet(self, droplet_id: int) -> None:
        with self._lock:
            del self._droplets[droplet_id]

    def resize_droplet(self, droplet_id: int, size_slug: str) -> dict:
        with self._lock:
            droplet = self._droplets[droplet_id]
            droplet.pop("gpu_info", None)
            droplet.update(build.size_fields(size_slug))
            return copy.deepcopy(droplet)

    def retag_droplet(self, droplet_id: int, tags: Iterable[str]) -> dict:
        return self._change(self._droplets, droplet_id, tags=list(tags))

    # -- volumes ---------------------------------------------------------------------------

    def add_volume(
        self,
        name: str | None = None,
        *,
        size_gigabytes: int = 100,
        region: str = "nyc3",
        tags: Iterable[str] = (),
        created_at: datetime | str | None = None,
        id: str | None = None,
    ) -> dict:
        with self._lock:
            number = next(self._numbers)
            id = id or str(uuid.uuid5(_IDS, f"volume-{number}"))
            return self._add(self._volumes, "volume", id, build.volume(
                id, name or f"volume-{number}", size_gigabytes=size_gigabytes, region_slug=region,
                tags=tags, created_at=created_at,
            ))

    def remove_volume(self, volume_id: str) -> None:
        with self._lock:
            del self._volumes[volume_id]

    def resize_volume(self, volume_id: str, size_gigabytes: int) -> dict:
        return self._change(self._volumes, volume_id, size_gigabytes=size_gigabytes)

    def retag_volume(self, volume_id: str, tags: Iterable[str]) -> dict:
        return self._change(self._volumes, volume_id, tags=list(tags))

    # -- shared by droplets and volumes -----------------------------------------------------

    def _add(self, resources: dict, kind: str, id, resource: dict) -> dict:
        with self._lock:
            if id in resources:
                raise ValueError(f"{kind} {id} already exists")
            resources[id] = resource
            return copy.deepcopy(resource)

    def _change(self, resources: dict, id, **fields) -> dict:
        with self._lock:
            resources[id].update(fields)
            return copy.deepcopy(resources[id])

    # -- billing ---------------------------------------------------------------------------

    def add_invoice(
        self,
        invoice_period: str,
        items: Iterable[dict],
        *,
        amount: str | None = None,
        invoice_uuid: str | None = None,
        updated_at: datetime | str | None = None,
    ) -> dict:
        """An issued invoice for `invoice_period` ('YYYY-MM') with items from
        `do_builders.invoice_item`; `amount` defaults to their sum."""
        with self._lock:
            summary = self._store_invoice(invoice_period, items, amount, invoice_uuid, updated_at)
            self._invoices[summary["invoice_uuid"]] = summary
            return copy.deepcopy(summary)

    def set_invoice_preview(
        self,
        invoice_period: str,
        items: Iterable[dict],
        *,
        amount: str | None = None,
        updated_at: datetime | str | None = None,
    ) -> dict:
        """The month-to-date preview: listed as `invoice_preview`, its items readable by uuid."""
        with self._lock:
            if self._preview is not None:
                del self._items[self._preview["invoice_uuid"]]
            self._preview = self._store_invoice(invoice_period, items, amount, None, updated_at)
            return copy.deepcopy(self._preview)

    def _store_invoice(self, period, items, amount, invoice_uuid, updated_at) -> dict:
        number = next(self._numbers)
        invoice_uuid = invoice_uuid or str(uuid.uuid5(_IDS, f"invoice-{number}"))
        if invoice_uuid in self._items:
            raise ValueError(f"invoice {invoice_uuid} already exists")
        start, end = build.month_bounds(period)
        items = [{"start_time": start, "end_time": end, **item} for item in copy.deepcopy(list(items))]
        self._items[invoice_uuid] = items
        return build.invoice_summary(
            invoice_uuid, str(8_000_000 + number), amount or build.total_amount(items), period, updated_at
        )
