"""The code location, which `dg dev`, `dg check defs` and `dg launch` load (`[tool.dg]` in pyproject.toml)."""

import dagster as dg

from arcadia_pipelines.defs.bi_views import bi_views
from arcadia_pipelines.defs.digitalocean import assets as digitalocean
from arcadia_pipelines.defs.digitalocean import checks as digitalocean_checks
from arcadia_pipelines.defs.digitalocean.resource import DigitalOceanResource
from arcadia_pipelines.defs.digitalocean.jobs import (cloud_costs, cloud_costs_daily, do_inventory_hourly,
                                                       do_inventory_job)
from arcadia_pipelines.defs.finance import ar_export
from arcadia_pipelines.defs.finance import assets as finance
from arcadia_pipelines.defs.finance import checks as finance_checks
from arcadia_pipelines.defs.invoicing import assets as invoicing
from arcadia_pipelines.defs.invoicing import checks as invoicing_checks
from arcadia_pipelines.defs.invoicing.jobs import (invoice_drift, invoice_drift_daily, monthly_invoicing,
                                                   monthly_invoicing_schedule)
from arcadia_pipelines.defs.resources import WarehouseResource
from arcadia_pipelines.defs.sources import source_tables
from arcadia_pipelines.defs.webhooks.jobs import deliver_webhooks
from arcadia_pipelines.defs.webhooks.sensors import webhook_delivery_sensor

defs = dg.Definitions(
    assets=[*source_tables, *bi_views, *dg.load_assets_from_modules([invoicing, finance, ar_export, digitalocean])],
    asset_checks=dg.load_asset_checks_from_modules([invoicing_checks, finance_checks, ar_export, digitalocean_checks]),
    jobs=[monthly_invoicing, invoice_drift, do_inventory_job, cloud_costs, deliver_webhooks],
    schedules=[monthly_invoicing_schedule, invoice_drift_daily, do_inventory_hourly, cloud_costs_daily],
    sensors=[webhook_delivery_sensor],
    # The token is resolved when a run starts, never stored; api_url, left unset, is read from
    # DIGITALOCEAN_API_URL at run time (default https://api.digitalocean.com).
    # Jobs that choose no executor run their steps in the run's own process; monthly_invoicing chooses
    # its own (defs/invoicing/executors.py), for tenant shards in parallel steps.
    executor=dg.in_process_executor,
    resources={"warehouse": WarehouseResource(),
               "digitalocean": DigitalOceanResource(token=dg.EnvVar("DIGITALOCEAN_TOKEN"))},
)
