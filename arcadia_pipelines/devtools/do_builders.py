"""DigitalOcean API objects shaped like the public OpenAPI spec, with plausible values.

A droplet has every `required` field of the spec's droplet schema. Size attributes are derived from
the slug (`s-2vcpu-4gb`, `g-8vcpu-32gb`, `gpu-h100x8-640gb`); `gpu-*` slugs make GPU droplets.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Iterable

_SIZE = re.compile(r"(\d+)vcpu-(\d+)gb")
_GPU_SIZE = re.compile(r"gpu-([a-z0-9]+)x(\d+)-(\d+)gb")
_HOURS_PER_MONTH = 672  # DigitalOcean caps monthly billing at 672 hours
_REGION_NAMES = {
    "nyc1": "New York 1", "nyc3": "New York 3", "sfo3": "San Francisco 3", "tor1": "Toronto 1",
    "ams3": "Amsterdam 3", "fra1": "Frankfurt 1", "lon1": "London 1", "sgp1": "Singapore 1",
}


def iso_z(value: datetime | str | None = None) -> str:
    """'2026-01-31T12:00:00Z' for a datetime (naive = UTC), a string as given, None for now."""
    if isinstance(value, str):
        return value
    value = value or datetime.now(timezone.utc)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def region(slug: str) -> dict:
    return {
        "name": _REGION_NAMES.get(slug, slug.upper()),
        "slug": slug,
        "features": ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"],
        "available": True,
        "sizes": ["s-1vcpu-1gb", "s-2vcpu-4gb", "s-4vcpu-8gb", "g-8vcpu-32gb", "gpu-h100x1-80gb"],
    }


def size_fields(slug: str) -> dict:
    """The droplet fields that follow from its size: `size`, `size_slug`, memory, vcpus, disk,
    `disk_info` and, for GPU sizes, `gpu_info`."""
    gpu = _GPU_SIZE.fullmatch(slug)
    if gpu:
        model, count, vram = gpu.group(1), int(gpu.group(2)), int(gpu.group(3))
        vcpus, memory, disk, transfer = 20 * count, 245760 * count, 720 * count, 15.0
        hourly, description = 6.74 * count, f"{model.upper()} GPU - {count}X"
        disks = [_disk("local", disk), _disk("scratch", 5120 * count)]
        gpu_info = {"count": count, "model": f"nvidia_{model}", "vram": {"amount": vram, "unit": "gib"}}
    else:
        match = _SIZE.search(slug)
        vcpus, memory_gb = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        memory, disk, transfer = memory_gb * 1024, max(25, 20 * memory_gb), float(memory_gb)
        hourly, description, gpu_info = round(memory_gb * 6 / _HOURS_PER_MONTH, 5), "Basic", None
        disks = [_disk("local", disk)]
    size = {
        "slug": slug, "memory": memory, "vcpus": vcpus, "disk": disk, "transfer": transfer,
        "price_monthly": round(hourly * _HOURS_PER_MONTH, 2), "price_hourly": hourly,
        "regions": sorted(_REGION_NAMES), "available": True, "description": description,
        "disk_info": disks,
    }
    fields = {"memory": memory, "vcpus": vcpus, "disk": disk, "disk_info": disks, "size": size,
              "size_slug": slug}
    if gpu_info:
        size["gpu_info"] = fields["gpu_info"] = gpu_info
    return fields


def _disk(kind: str, gib: int) -> dict:
    return {"type": kind, "size": {"amount": gib, "unit": "gib"}}


def _image(gpu: bool) -> dict:
    slug, name = ("gpu-h100x1-base", "AI/ML Ready H100x1") if gpu else ("ubuntu-24-04-x64", "24.04 (LTS) x64")
    return {
        "id": 166407044 if gpu else 191457505, "name": name, "distribution": "Ubuntu", "slug": slug,
        "public": True, "regions": sorted(_REGION_NAMES), "created_at": "2025-04-24T13:58:47Z",
        "min_disk_size": 25 if gpu else 7, "type": "base", "size_gigabytes": 18.47 if gpu else 2.36,
        "description": "GPU H100 1x Base Image" if gpu else f"Ubuntu {name}", "tags": [], "status": "available",
    }


def droplet(
    id: int,
    name: str,
    *,
    size_slug: str = "s-1vcpu-1gb",
    region_slug: str = "nyc3",
    tags: Iterable[str] = (),
    created_at: datetime | str | None = None,
    status: str = "active",
) -> dict:
    fields = size_fields(size_slug)
    return {
        "id": id, "name": name, "locked": False, "status": status, "kernel": None,
        "created_at": iso_z(created_at), "features": ["monitoring", "droplet_agent", "private_networking"],
        "backup_ids": [], "next_backup_window": None, "snapshot_ids": [],
        "image": _image("gpu_info" in fields), "volume_ids": [],
        "networks": {
            "v4": [
                {"ip_address": f"10.108.{id >> 8 & 255}.{id & 255}", "netmask": "255.255.240.0",
                 "gateway": "nil", "type": "private"},
                {"ip_address": f"164.90.{id >> 8 & 255}.{id & 255}", "netmask": "255.255.240.0",
                 "gateway": "164.90.0.1", "type": "public"},
            ],
            "v6": [],
        },
        "region": region(region_slug), "tags": list(tags),
        "vpc_uuid": "5a4981aa-9653-4bd1-bef5-d6bff52042e4",
        **fields,
    }


def volume(
    id: str,
    name: str,
    *,
    size_gigabytes: int = 100,
    region_slug: str = "nyc3",
    tags: Iterable[str] = (),
    created_at: datetime | str | None = None,
    droplet_ids: Iterable[int] = (),
) -> dict:
    return {
        "id": id, "name": name, "description": "", "size_gigabytes": size_gigabytes,
        "region": region(region_slug), "droplet_ids": list(droplet_ids),
        "created_at": iso_z(created_at), "filesystem_type": "ext4", "filesystem_label": name[:16],
        "tags": list(tags),
    }


def invoice_item(
    amount: str,
    *,
    product: str = "Droplets",
    description: str | None = None,
    duration: str = "744",
    duration_unit: str = "Hours",
    project_name: str = "default",
    **optional: str | datetime | None,
) -> dict:
    """One invoice line, every field a string as DigitalOcean sends them. `optional` takes the
    spec's other fields (`resource_id`, `resource_uuid`, `group_description`, `start_time`,
    `end_time`); None leaves a field out."""
    item = {
        "product": product, "description": description or product, "amount": amount,
        "duration": duration, "duration_unit": duration_unit, "project_name": project_name,
    }
    for key, value in optional.items():
        if value is not None:
            item[key] = iso_z(value) if isinstance(value, datetime) else value
    return item


def month_bounds(invoice_period: str) -> tuple[str, str]:
    """'2026-01' -> ('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')."""
    first = date.fromisoformat(f"{invoice_period}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return f"{first}T00:00:00Z", f"{following}T00:00:00Z"


def total_amount(items: Iterable[dict]) -> str:
    """Sum of item amounts, as DigitalOcean prints it ('12.30')."""
    return f"{sum((Decimal(item['amount']) for item in items), Decimal(0)):.2f}"


def invoice_summary(
    invoice_uuid: str, invoice_id: str, amount: str, invoice_period: str, updated_at: datetime | str | None = None
) -> dict:
    return {
        "invoice_uuid": invoice_uuid, "invoice_id": invoice_id, "amount": amount,
        "invoice_period": invoice_period, "updated_at": iso_z(updated_at),
    }
