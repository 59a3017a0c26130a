"""DigitalOcean items as typed, validated records, made before anything is written.

A malformed item fails the whole answer with one line naming the item (kind, id or position, page)
and the rule it breaks, e.g. `malformed volume vol-1 (page 1, item 3): size_gigabytes must be a
whole number of GB from 1 to 1000000, got 'abc'`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .errors import DigitalOceanMalformedError
from .listing import Listed
from .money import amount_to_cents
from .timestamps import parse_timestamp

MAX_VOLUME_GB = 1_000_000  # DigitalOcean's volumes stop at 16 TiB; anything near this is not a volume
# One amount on DigitalOcean's bill: 100 billion USD either way. Far above any real bill, and low enough
# that the BIGINT cents columns (and sums over a month's items) cannot overflow.
MAX_AMOUNT_CENTS = 10**13
_DECIMAL = re.compile(r"\d+(\.\d+)?")
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class InventoryResource:
    """One listed droplet or volume, as metering sees it."""

    resource_kind: str  # droplet | volume
    resource_id: str
    tags: tuple[str, ...]
    size_slug: str | None  # droplets only
    quantity: Decimal  # 1 for a droplet, its GB for a volume
    created_at: datetime
    gpu: bool = False


@dataclass(frozen=True)
class Inventory:
    droplets: tuple[InventoryResource, ...]
    volumes: tuple[InventoryResource, ...]

    @property
    def resources(self) -> list[InventoryResource]:
        return [*self.droplets, *self.volumes]


@dataclass(frozen=True)
class InvoiceSummary:
    invoice_uuid: str
    amount_cents: int
    invoice_period: str  # YYYY-MM
    updated_at: str  # as DigitalOcean sent it; compared only with other invoices' (ISO 8601 sorts)


@dataclass(frozen=True)
class InvoiceItem:
    """One line of a DigitalOcean invoice, amounts in integer cents."""

    product: str | None
    resource_id: str | None
    resource_uuid: str | None
    description: str | None
    group_description: str | None
    project_name: str | None
    amount_cents: int
    duration: Decimal | None
    duration_unit: str | None
    start_time: datetime | None
    end_time: datetime | None


class _Rules:
    """Field checks for one listed item; each failure names the item and the rule."""

    def __init__(self, kind: str, listed: Listed, name: str | None = None) -> None:
        self.kind, self.listed, self.item, self.name = kind, listed, listed.item, name

    def fail(self, rule: str) -> DigitalOceanMalformedError:
        where = f"page {self.listed.page}, item {self.listed.position}"
        named = f"{self.kind} {self.name} ({where})" if self.name else f"{self.kind} at {where}"
        return DigitalOceanMalformedError(f"malformed {named}: {rule}")

    def text(self, key: str, *, required: bool = False) -> str | None:
        """The field as DigitalOcean sent it; a required one must not be empty."""
        value = self.item.get(key)
        if value is None:
            if required:
                raise self.fail(f"no {key}")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"{key} must be {'non-empty ' if required else ''}text, got {value!r}")
        return value

    def tags(self, *, required: bool = False) -> tuple[str, ...]:
        """A required list is never taken as empty when missing: that would move every resource to no
        deployment at once."""
        tags = self.item.get("tags")
        if tags is None:
            if required:
                raise self.fail("no tags")
            return ()
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise self.fail(f"tags must be a list of text, got {tags!r}")
        return tuple(tags)

    def timestamp(self, key: str, *, required: bool = False) -> datetime | None:
        text = self.text(key, required=required)
        if not text:
            return None
        try:
            return parse_timestamp(text)
        except ValueError:
            raise self.fail(f"{key} is not an ISO 8601 timestamp ({text!r})") from None

    def money(self, key: str) -> int:
        value = self.item.get(key)
        try:
            cents = amount_to_cents(value)
        except ValueError:
            raise self.fail(f"{key} is not a money amount like '12.34' ({value!r})") from None
        if abs(cents) > MAX_AMOUNT_CENTS:
            raise self.fail(f"{key} is more than {MAX_AMOUNT_CENTS // 100} USD either way ({value!r})")
        return cents

    def decimal(self, key: str) -> Decimal | None:
        value = self.item.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value.strip()):
            raise self.fail(f"{key} is not a non-negative decimal ({value!r})")
        return Decimal(value.strip())


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def droplet(listed: Listed, gpu: bool = False) -> InventoryResource:
    """A droplet (GPU droplets too) counts 1 per hour of its size."""
    d = listed.item
    ident = d.get("id")
    rules = _Rules("droplet", listed, str(ident) if _whole(ident) and ident > 0 else None)
    if rules.name is None:
        raise rules.fail(f"id must be a positive whole number, got {ident!r}" if ident is not None else "no id")
    size = d.get("size")
    slug = d.get("size_slug") or (size.get("slug") if isinstance(size, dict) else None)
    if not isinstance(slug, str) or not slug.strip():
        raise rules.fail("no size_slug (nor size.slug)")
    return InventoryResource("droplet", rules.name, rules.tags(required=True), slug, Decimal(1),
                             rules.timestamp("created_at", required=True), gpu or "gpu_info" in d)


def volume(listed: Listed) -> InventoryResource:
    """A volume counts its size in GB per hour."""
    v = listed.item
    ident = v.get("id")
    rules = _Rules("volume", listed, ident if isinstance(ident, str) and ident.strip() else None)
    if rules.name is None:
        raise rules.fail(f"id must be non-empty text, got {ident!r}" if ident is not None else "no id")
    size = v.get("size_gigabytes")
    if not _whole(size) or not 1 <= size <= MAX_VOLUME_GB:
        raise rules.fail(f"size_gigabytes must be a whole number of GB from 1 to {MAX_VOLUME_GB}, got {size!r}")
    return InventoryResource("volume", rules.name, rules.tags(), None, Decimal(size),
                             rules.timestamp("created_at", required=True))


def invoice_summary(listed: Listed) -> InvoiceSummary:
    ident = listed.item.get("invoice_uuid")
    rules = _Rules("invoice", listed, ident if isinstance(ident, str) and ident.strip() else None)
    if rules.name is None:
        raise rules.fail("no invoice_uuid")
    period = rules.text("invoice_period", required=True)
    if not _PERIOD.fullmatch(period):
        raise rules.fail(f"invoice_period is not a month like '2026-04' ({period!r})")
    return InvoiceSummary(rules.name, rules.money("amount"), period, rules.text("updated_at") or "")


def invoice_item(listed: Listed, invoice_uuid: str, line_no: int) -> InvoiceItem:
    r = _Rules("invoice item", listed, f"{line_no} of invoice {invoice_uuid}")
    return InvoiceItem(
        product=r.text("product"), resource_id=r.text("resource_id"), resource_uuid=r.text("resource_uuid"),
        description=r.text("description"), group_description=r.text("group_description"),
        project_name=r.text("project_name"), amount_cents=r.money("amount"), duration=r.decimal("duration"),
        duration_unit=r.text("duration_unit"), start_time=r.timestamp("start_time"),
        end_time=r.timestamp("end_time"))
