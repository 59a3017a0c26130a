"""The views for BI tools (migrations 0007 and 0014) as external assets: their columns, and the tables they read."""

import dagster as dg

from arcadia_pipelines.warehouse.column_docs import VIEWS

from .metadata import table_metadata

# view -> the assets whose tables it reads
READS = {
    "bi_invoices": ["tenant_invoices", "tenants"],
    "bi_invoice_lines": ["tenant_invoices", "tenants", "deployments"],
    "bi_cost_vs_revenue": ["cost_vs_revenue", "tenant_invoices", "tenants", "deployments"],
    "bi_credit_notes": ["tenant_invoices", "tenants"],
    "bi_credit_note_lines": ["tenant_invoices", "tenants", "deployments"],
    "bi_ar_ageing": ["bi_invoices"],
}

bi_views = [
    dg.AssetSpec(name, description=VIEWS[name].description, deps=READS[name], group_name="bi", kinds={"sql"},
                 owners=["team:finance"], metadata=table_metadata(name))
    for name in VIEWS
]
