"""The code location: `dagster dev -m arcadia_pipelines.definitions`."""

import dagster as dg

from arcadia_pipelines.defs.finance import assets as finance
from arcadia_pipelines.defs.finance import checks as finance_checks
from arcadia_pipelines.defs.invoicing import assets as invoicing
from arcadia_pipelines.defs.invoicing import checks as invoicing_checks
from arcadia_pipelines.defs.invoicing.jobs import monthly_invoicing, monthly_invoicing_schedule
from arcadia_pipelines.defs.resources import WarehouseResource
from arcadia_pipelines.defs.sources import source_tables

defs = dg.Definitions(
    assets=[*source_tables, *dg.load_assets_from_modules([invoicing, finance])],
    asset_checks=dg.load_asset_checks_from_modules([invoicing_checks, finance_checks]),
    jobs=[monthly_invoicing],
    schedules=[monthly_invoicing_schedule],
    resources={"warehouse": WarehouseResource()},
)
