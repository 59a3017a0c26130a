"""The demo's DigitalOcean: a local `DoApiServer` that lists exactly the seeded resources and has
issued an April 2026 bill for them.

Live droplets and volumes are the seed's open `metered_resources` intervals, with the same ids and
`created_at`, tagged with their deployment's `do_tag`, so observing them only advances
`last_seen_at`. The bill charges every interval's April hours at the size's monthly price over
DigitalOcean's 672-hour month (capped at a month), plus a load balancer that is on no deployment.
"""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal
from math import ceil

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.devtools import DoApiServer
from arcadia_pipelines.devtools.do_builders import invoice_item, iso_z, size_fields
from arcadia_pipelines.warehouse import schema as t

from .seed import ROWS

HOURS_PER_MONTH = 672
VOLUME_GB_MONTH = Decimal("0.10")


def _price(monthly: Decimal, hours: int) -> str:
    amount = monthly * min(hours, HOURS_PER_MONTH) / HOURS_PER_MONTH
    return str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _bill_item(r: dict, period: Period) -> dict | None:
    window = period.window(r["started_at"], r["ended_at"])
    if window is None:
        return None
    hours = ceil((window.end_at - window.start_at).total_seconds() / 3600)
    times = {"start_time": iso_z(window.start_at), "end_time": iso_z(window.end_at), "duration": str(hours)}
    if r["resource_kind"] == "droplet":
        monthly = Decimal(str(size_fields(r["size_slug"])["size"]["price_monthly"]))
        return invoice_item(_price(monthly, hours), product="Droplets", resource_id=r["resource_id"],
                            description=f"{r['size_slug']} droplet {r['resource_id']}", **times)
    return invoice_item(_price(VOLUME_GB_MONTH * r["quantity"], hours), product="Volumes",
                        resource_uuid=r["resource_id"], description=f"{r['quantity']} GB volume", **times)


def demo_do_server(period: Period) -> DoApiServer:
    """Started; the caller stops it. Its token is random: the demo needs no credentials."""
    tags = {d["id"]: d["do_tag"] for d in ROWS[t.deployments]}
    server = DoApiServer(token=f"demo-{secrets.token_hex(16)}").start()
    resources = ROWS[t.metered_resources]
    for r in resources:
        if r["ended_at"] is not None:
            continue
        common = {"tags": [tags[r["deployment_id"]]], "created_at": r["started_at"]}
        if r["resource_kind"] == "droplet":
            server.add_droplet(id=int(r["resource_id"]), size_slug=r["size_slug"], **common)
        else:
            server.add_volume(id=r["resource_id"], size_gigabytes=int(r["quantity"]), **common)
    items = [item for r in resources if (item := _bill_item(r, period))]
    items.append(invoice_item("12.00", product="Load Balancers", resource_uuid="lb-shared-ingress",
                              description="shared ingress load balancer"))
    server.add_invoice(period.label, items)
    return server
