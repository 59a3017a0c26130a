"""`do_inventory` (hourly observation -> metered_resources) and `cloud_invoices` (DigitalOcean's bill)."""

from datetime import datetime, timezone

import dagster as dg

from arcadia_pipelines.billing.money import format_cents
from arcadia_pipelines.digitalocean import DigitalOceanError
from arcadia_pipelines.digitalocean.resources import DigitalOceanResource
from arcadia_pipelines.monthend.cloud_bills import write_cloud_invoice
from arcadia_pipelines.monthend.inventory import AMBIGUOUS_RULE, observe_inventory, observed_droplet, observed_volume

from ..invoicing.assets import periods
from ..metadata import names
from ..partitions import monthly_partitions
from ..resources import WarehouseResource

GROUP = dict(group_name="digitalocean", owners=["team:billing"], kinds={"digitalocean", "sql"})


def _failure(what: str, error: DigitalOceanError) -> dg.Failure:
    """Our errors are one token-free line; the pydo exception behind them is not chained."""
    return dg.Failure(description=f"{what}: {error}")


@dg.asset(deps=["deployments"], **GROUP,
          description="One observation of DigitalOcean's droplets (GPU droplets included) and volumes, folded "
                      "into `metered_resources` lifetime intervals. A resource belongs to the deployment whose "
                      "`do_tag` it carries; with several such tags, to none.")
def do_inventory(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 digitalocean: DigitalOceanResource) -> dg.MaterializeResult:
    observed_at = datetime.now(timezone.utc)
    try:
        client = digitalocean.get_client()
        droplets, volumes = list(client.droplets()), list(client.volumes())
    except DigitalOceanError as e:
        raise _failure("could not list the DigitalOcean inventory", e) from None
    r = observe_inventory(warehouse.engine, [*map(observed_droplet, droplets), *map(observed_volume, volumes)],
                          observed_at)
    if r.newer_observation:
        context.log.warning(f"observation at {observed_at:%Y-%m-%d %H:%M:%S} UTC ignored: a newer one "
                            f"({r.newer_observation:%Y-%m-%d %H:%M:%S} UTC) is already recorded")
    if r.ambiguous:
        context.log.warning(f"{AMBIGUOUS_RULE}: {names(r.ambiguous)}")
    if r.resized or r.retagged:
        context.log.info(f"resized: {names(r.resized)}; retagged: {names(r.retagged)}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": r.rows, "observed_at": dg.MetadataValue.timestamp(observed_at),
        "droplets": len(droplets), "gpu_droplets": sum("gpu_info" in d for d in droplets), "volumes": len(volumes),
        "seen": r.seen, "opened": r.opened, "new": r.new, "closed": r.closed, "vanished": r.vanished,
        "reappeared": r.reappeared, "resized": len(r.resized), "retagged": len(r.retagged),
        "untagged": r.untagged, "ambiguous": names(r.ambiguous), "ambiguous_rule": AMBIGUOUS_RULE,
        "ignored_as_older": r.newer_observation is not None,
    })


def _issued_by_month(client) -> dict[str, dict]:
    """DigitalOcean's issued invoices by 'YYYY-MM'; the latest updated one when a month has several."""
    issued: dict[str, dict] = {}
    for invoice in client.invoices():
        month = invoice.get("invoice_period")
        if month not in issued or (invoice.get("updated_at") or "") > (issued[month].get("updated_at") or ""):
            issued[month] = invoice
    return issued


@dg.asset(partitions_def=monthly_partitions, deps=["do_inventory", "deployments"], **GROUP,
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
        bills = [(p, issued[p.label], list(client.invoice_items(issued[p.label]["invoice_uuid"])))
                 for p in periods(context)]
    except DigitalOceanError as e:
        raise _failure("could not read DigitalOcean's invoices", e) from None
    try:
        results = [write_cloud_invoice(warehouse.engine, period, invoice, items) for period, invoice, items in bills]
    except (KeyError, ValueError, ArithmeticError) as e:  # a field missing or not a number
        raise dg.Failure(description=f"DigitalOcean's invoice data is not what we expect "
                                     f"({type(e).__name__}: {e}); that month was not stored") from None
    for (period, _, _), r in zip(bills, results):
        if r.replaced:
            context.log.info(f"{period.label}: DigitalOcean re-issued its invoice; {names(r.replaced)} "
                             f"replaced by {r.invoice_uuid}")
        if r.items_cents != r.amount_cents:
            context.log.warning(f"{period.label}: invoice {r.invoice_uuid} says {format_cents(r.amount_cents)} USD "
                                f"but its items add up to {format_cents(r.items_cents)} USD")
    amount = sum(r.amount_cents for r in results)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": sum(r.items for r in results),
        "invoices": names(r.invoice_uuid for r in results),
        "total": f"USD {format_cents(amount)}", "amount_cents": amount,
        "mapped_items": sum(r.mapped for r in results), "unmapped_items": sum(r.unmapped for r in results),
        "unmapped_total": f"USD {format_cents(sum(r.unmapped_cents for r in results))}",
        "replaced_invoices": names(u for r in results for u in r.replaced),
    })
