"""`cloud_invoices` and `cloud_invoice_items`: DigitalOcean's bill for a month, in integer cents.

A month is replaced as a whole in one transaction: a re-run writes the same rows again, and an
invoice DigitalOcean re-issued under a new uuid replaces the month's old one.

Items get a `resource_kind` from their product (PRODUCT_KINDS, first match on the lower-cased
name, else NULL). Droplet and volume items are attributed to a deployment through
`metered_resources`: the interval of that kind whose `resource_id` is the item's `resource_id` or
`resource_uuid` and that overlaps the item's billed time (its start/end, else the month) the
longest, the later one on a tie. Items nothing matches have no deployment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.digitalocean.records import InvoiceItem, InvoiceSummary
from arcadia_pipelines.warehouse.schema import cloud_invoice_items, cloud_invoices, metered_resources
from arcadia_pipelines.warehouse.sqlfuncs import epoch_us, greatest, least
from arcadia_pipelines.warehouse.types import UtcDateTime

from .stage import month_end_stage

# (substring of the product name, resource_kind); order matters: "Droplet Backups" is a backup.
PRODUCT_KINDS = (
    ("backup", "backup"),
    ("snapshot", "snapshot"),
    ("droplet", "droplet"),
    ("volume", "volume"),
    ("block storage", "volume"),
    ("load balancer", "load_balancer"),
    ("kubernetes", "kubernetes"),
    ("database", "database"),
    ("spaces", "spaces"),
    ("floating ip", "reserved_ip"),
    ("reserved ip", "reserved_ip"),
    ("container registry", "container_registry"),
    ("app platform", "app_platform"),
    ("bandwidth", "bandwidth"),
)
METERED_KINDS = ("droplet", "volume")


def resource_kind(product: str | None) -> str | None:
    name = (product or "").lower()
    return next((kind for needle, kind in PRODUCT_KINDS if needle in name), None)


@dataclass
class CloudBillResult:
    invoice_uuid: str
    amount_cents: int
    items: int = 0
    items_cents: int = 0
    mapped: int = 0
    unmapped: int = 0
    unmapped_cents: int = 0
    replaced: list[str] = field(default_factory=list)  # the month's earlier invoice uuids


def item_row(invoice_uuid: str, line_no: int, item: InvoiceItem) -> dict:
    return {"invoice_uuid": invoice_uuid, "line_no": line_no, **asdict(item),
            "resource_kind": resource_kind(item.product), "deployment_id": None}


def _candidates(invoice_uuid: str, period: Period) -> sa.Select:
    """One join: every (item, interval of the same kind and resource) pair that overlaps in time."""
    ci, m = cloud_invoice_items, metered_resources
    item_lo = epoch_us(sa.func.coalesce(ci.c.start_time, sa.literal(period.start_at, UtcDateTime)))
    item_hi = epoch_us(sa.func.coalesce(ci.c.end_time, sa.literal(period.end_at, UtcDateTime)))
    lo = greatest(epoch_us(m.c.started_at), item_lo)
    hi = least(sa.func.coalesce(epoch_us(m.c.ended_at), item_hi), item_hi)
    return (sa.select(ci.c.line_no, m.c.deployment_id, (hi - lo).label("overlap"), m.c.started_at)
            .join(m, sa.and_(m.c.resource_kind == ci.c.resource_kind,
                             sa.or_(m.c.resource_id == ci.c.resource_id, m.c.resource_id == ci.c.resource_uuid)))
            .where(ci.c.invoice_uuid == invoice_uuid, ci.c.resource_kind.in_(METERED_KINDS), hi > lo))


def _attribute_items(conn: sa.Connection, invoice_uuid: str, period: Period) -> None:
    """Each droplet or volume item gets the deployment of its longest-overlapping interval."""
    best: dict[int, tuple] = {}
    for c in conn.execute(_candidates(invoice_uuid, period)):
        if c.line_no not in best or (c.overlap, c.started_at) > best[c.line_no][1:]:
            best[c.line_no] = (c.deployment_id, c.overlap, c.started_at)
    ci = cloud_invoice_items
    updates = [{"n": n, "d": d} for n, (d, _, _) in best.items() if d is not None]
    if updates:
        conn.execute(sa.update(ci).where(ci.c.invoice_uuid == invoice_uuid, ci.c.line_no == sa.bindparam("n"))
                     .values(deployment_id=sa.bindparam("d")), updates)


def write_cloud_invoice(engine: sa.Engine, period: Period, invoice: InvoiceSummary,
                        items: list[InvoiceItem]) -> CloudBillResult:
    """Store DigitalOcean's `invoice` (its summary) for `period` with `items` in DigitalOcean's order."""
    uuid = invoice.invoice_uuid
    result = CloudBillResult(uuid, invoice.amount_cents)
    rows = [item_row(uuid, n, item) for n, item in enumerate(items, start=1)]
    ci, inv = cloud_invoice_items, cloud_invoices
    with month_end_stage(engine, "cloud_invoices", period.start) as conn:
        old = conn.execute(sa.select(inv.c.invoice_uuid).where(
            sa.or_(inv.c.period_start == period.start, inv.c.invoice_uuid == uuid))).scalars().all()
        result.replaced = [u for u in old if u != uuid]
        conn.execute(sa.delete(ci).where(ci.c.invoice_uuid.in_(old)))
        conn.execute(sa.delete(inv).where(inv.c.invoice_uuid.in_(old)))
        conn.execute(sa.insert(inv), {"invoice_uuid": uuid, "period_start": period.start,
                                      "amount_cents": result.amount_cents, "currency": "USD"})
        if rows:
            conn.execute(sa.insert(ci), rows)
            _attribute_items(conn, uuid, period)
        totals = conn.execute(
            sa.select(ci.c.deployment_id.is_(None).label("unmapped"), sa.func.count().label("items"),
                      sa.cast(sa.func.sum(ci.c.amount_cents), sa.BigInteger).label("cents"))
            .where(ci.c.invoice_uuid == uuid).group_by(ci.c.deployment_id.is_(None))).all()
    for t in totals:
        result.items += t.items
        result.items_cents += t.cents
        if t.unmapped:
            result.unmapped, result.unmapped_cents = t.items, t.cents
        else:
            result.mapped = t.items
    return result
