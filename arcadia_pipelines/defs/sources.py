"""Source tables the platform writes, as external assets so the UI shows lineage and their columns."""

import dagster as dg

from arcadia_pipelines.warehouse.column_docs import TABLES

from .metadata import table_metadata

SOURCE_TABLES = ("tenants", "deployments", "plans", "plan_meters", "addons", "subscriptions", "subscription_addons",
                 "tax_rates", "fx_rates")

source_tables = [
    dg.AssetSpec(name, description=TABLES[name].description, group_name="sources", kinds={"sql"},
                 owners=["team:platform"], metadata=table_metadata(name))
    for name in SOURCE_TABLES
]
