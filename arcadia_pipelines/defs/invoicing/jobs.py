import dagster as dg

from ..partitions import monthly_partitions

monthly_invoicing = dg.define_asset_job(
    "monthly_invoicing",
    selection=["deployment_usage", "deployment_quotes", "tenant_invoices"],
    partitions_def=monthly_partitions,
    description="Invoices a month: usage -> quotes -> tenant invoices. Never waits for DigitalOcean's bill.",
)

# 03:00 UTC on the 1st, for the month that just ended.
monthly_invoicing_schedule = dg.build_schedule_from_partitioned_job(
    monthly_invoicing, hour_of_day=3, default_status=dg.DefaultScheduleStatus.RUNNING)
