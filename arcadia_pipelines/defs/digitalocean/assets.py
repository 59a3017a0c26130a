"""`do_inventory` (hourly observation -> metered_resources) and `cloud_invoices` (DigitalOcean's bill)."""

from datetime import datetime, timezone
from decimal import Decimal

import dagster as dg
from pydantic import Field

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.digitalocean import DigitalOceanError
from arcadia_pipelines.digitalocean.records import InvoiceSummary
from arcadia_pipelines.monthend.cloud_bills import CloudBillResult, write_cloud_invoice
from arcadia_pipelines.monthend.inventory import (AMBIGUOUS_RULE, DisappearanceGuard, InventoryRefused,
                                                  observe_inventory)

from ..metadata import amounts_by_currency, names, report_each_month, table_metadata
from ..partitions import monthly_partitions, one_run_per_range, periods
from ..resources import WarehouseResource
from .resource import DigitalOceanResource

BILL_CURRENCY = "USD"  # DigitalOcean bills in US dollars (cloud_invoices.currency)

GROUP = dict(group_name="digitalocean", owners=["team:billing"], kinds={"digitalocean", "sql"})


def _failure(what: str, error: DigitalOceanError, outcome: str = "") -> dg.Failure:
    """Our errors are one token-free line; the pydo exception behind them is not chained."""
    return dg.Failure(description=f"{what}: {error}{outcome}")


class InventoryConfig(dg.Config):
    allow_mass_disappearance: bool = Field(
        default=False, description="Apply a listing even though it closes more than max_disappearing_share of the "
                                   "open resources of a kind at once, or moves that share of those on a "
                                   "deployment to none (a real mass deletion or untagging).")
    max_disappearing_share: float = Field(
        default=float(DisappearanceGuard.max_share), gt=0, le=1,
        description="Share of the open droplets (or volumes) that may disappear, or lose their deployment, in one "
                    "observation; a listing above it is refused and nothing is applied.")
    min_disappearing: int = Field(
        default=DisappearanceGuard.min_count, ge=1,
        description="Disappearances below this count are always applied, so small accounts can delete.")

    def guard(self) -> DisappearanceGuard:
        return DisappearanceGuard(Decimal(str(self.max_disappearing_share)), self.min_disappearing,
                                  self.allow_mass_disappearance)


@dg.asset(deps=["deployments"], **GROUP, metadata=table_metadata("metered_resources", "do_inventory_observations"),
          description="One observation of DigitalOcean's droplets (GPU droplets included) and volumes, folded "
                      "into `metered_resources` lifetime intervals. A resource belongs to the deployment whose "
                      "`do_tag` it carries; with several such tags, to none.")
def do_inventory(context: dg.AssetExecutionContext, config: InventoryConfig, warehouse: WarehouseResource,
                 digitalocean: DigitalOceanResource) -> dg.MaterializeResult:
    observed_at = datetime.now(timezone.utc)
    try:
        inventory = digitalocean.get_client().inventory()
    except DigitalOceanError as e:
        raise _failure("could not list the DigitalOcean inventory", e, "; nothing applied") from None
    try:
        r = observe_inventory(warehouse.engine, inventory.resources, observed_at, config.guard())
    except InventoryRefused as e:
        raise dg.Failure(description=str(e), metadata={
            "disappearing": names(e.disappearing), "disappearing_count": len(e.disappearing),
            "losing_deployment": names(e.losing_deployment), "losing_deployment_count": len(e.losing_deployment),
        }) from None
    if r.newer_observation:
        context.log.warning(f"observation at {observed_at:%Y-%m-%d %H:%M:%S} UTC ignored: a newer one "
                            f"({r.newer_observation:%Y-%m-%d %H:%M:%S} UTC) is already recorded")
    if r.ambiguous:
        context.log.warning(f"{AMBIGUOUS_RULE}: {names(r.ambiguous)}")
    if r.resized or r.retagged:
        context.log.info(f"resized: {names(r.resized)}; retagged: {names(r.retagged)}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": r.rows, "observed_at": dg.MetadataValue.timestamp(observed_at),
        "droplets": len(inventory.droplets), "gpu_droplets": sum(d.gpu for d in inventory.droplets),
        "volumes": len(inventory.volumes),
        "seen": r.seen, "opened": r.opened, "new": r.new, "closed": r.closed, "vanished": r.vanished,
        "reappeared": r.reappeared, "resized": len(r.resized), "retagged": len(r.retagged),
        "untagged": r.untagged, "ambiguous": names(r.ambiguous), "ambiguous_rule": AMBIGUOUS_RULE,
        "ignored_as_older": r.newer_observation is not None,
    })


def _issued_by_month(client) -> dict[str, InvoiceSummary]:
    """DigitalOcean's issued invoices by 'YYYY-MM'; the latest updated one when a month has several."""
    issued: dict[str, InvoiceSummary] = {}
    for invoice in client.issued_invoices():
        month = invoice.invoice_period
        if month not in issued or invoice.updated_at > issued[month].updated_at:
            issued[month] = invoice
    return issued


@dg.asset(partitions_def=monthly_partitions, backfill_policy=one_run_per_range, deps=["do_inventory", "deployments"],
          **GROUP, metadata=table_metadata("cloud_invoices", "cloud_invoice_items"),
          description="DigitalOcean's invoice for the month and its items, in integer cents, items attributed "
                      "to deployments through `metered_resources`. Fails until DigitalOcean has issued it.")
def cloud_invoices(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   digitalocean: DigitalOceanResource) -> dg.MaterializeResult:
    try:
        client = digitalocean.get_client()
        issued = _issued_by_month(client)
        missing = [p.label for p in periods(context) if p.label not in issued]
        if missing:
            raise dg.Failure(description=f"DigitalOcean has not issued its invoice for {', '.join(missing)} yet; "
                                         "a later run of this partition will store it")
        bills = [(p, issued[p.label], client.invoice_lines(issued[p.label].invoice_uuid)) for p in periods(context)]
    except DigitalOceanError as e:
        raise _failure("could not read DigitalOcean's invoices", e, "; nothing stored") from None
    report = {}
    for period, invoice, items in bills:
        r = write_cloud_invoice(warehouse.engine, period, invoice, items)
        if r.replaced:
            context.log.info(f"{period.label}: DigitalOcean re-issued its invoice; {names(r.replaced)} "
                             f"replaced by {r.invoice_uuid}")
        if r.items_cents != r.amount_cents:
            context.log.warning(f"{period.label}: invoice {r.invoice_uuid} says {format_cents(r.amount_cents)} "
                                f"{BILL_CURRENCY} but its items add up to {format_cents(r.items_cents)} "
                                f"{BILL_CURRENCY}")
        report[period] = _bill_metadata(r)
    report_each_month(context, report)
    return dg.MaterializeResult()


def _bill_metadata(r: CloudBillResult) -> dict[str, object]:
    """A month's bill as metadata; `cost` and `unmapped_cost` are numbers the Plots tab draws."""
    return {
        "dagster/row_count": r.items, "invoices": r.invoice_uuid,
        "total": f"{BILL_CURRENCY} {format_cents(r.amount_cents)}", "amount_cents": r.amount_cents,
        "mapped_items": r.mapped, "unmapped_items": r.unmapped,
        "unmapped_total": f"{BILL_CURRENCY} {format_cents(r.unmapped_cents)}",
        "replaced_invoices": names(r.replaced),
        **amounts_by_currency(BILL_CURRENCY, {"cost": {BILL_CURRENCY: r.amount_cents},
                                              "unmapped_cost": {BILL_CURRENCY: r.unmapped_cents}}),
    }
