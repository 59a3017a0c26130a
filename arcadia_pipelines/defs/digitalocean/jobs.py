"""The hourly inventory, and DigitalOcean's bill retried daily until it is issued."""

import os
from datetime import timedelta

import dagster as dg

do_inventory_job = dg.define_asset_job(
    "do_inventory_job", selection=dg.AssetSelection.assets("do_inventory"),
    description="One observation of DigitalOcean's inventory into metered_resources.")


# Running by default: without a token each tick skips saying so, instead of launching a run that fails.
@dg.schedule(job=do_inventory_job, cron_schedule="5 * * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Observes DigitalOcean's inventory at minute 5 of every hour; skips while "
                         "DIGITALOCEAN_TOKEN is not set.")
def do_inventory_hourly(context: dg.ScheduleEvaluationContext):
    if not os.environ.get("DIGITALOCEAN_TOKEN"):
        return dg.SkipReason("DIGITALOCEAN_TOKEN is not set where the code location runs; set it (a read-only "
                             "token) to observe DigitalOcean's inventory")
    return dg.RunRequest()


# Partitions come from the assets (monthly).
cloud_costs = dg.define_asset_job(
    "cloud_costs", selection=dg.AssetSelection.assets("cloud_invoices", "cost_vs_revenue"),
    description="DigitalOcean's bill for a month, then cost against revenue. Separate from monthly_invoicing, "
                "which never waits for DigitalOcean.")


@dg.schedule(job=cloud_costs, cron_schedule="0 6 1-10 * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="06:00 UTC on days 1-10: the month just ended, until its bill is stored (a run fails "
                         "while DigitalOcean has not issued it).")
def cloud_costs_daily(context: dg.ScheduleEvaluationContext):
    month = (context.scheduled_execution_time.date().replace(day=1) - timedelta(days=1)).replace(day=1).isoformat()
    if month in context.instance.get_materialized_partitions(dg.AssetKey("cloud_invoices")):
        return dg.SkipReason(f"DigitalOcean's bill for {month[:7]} is already stored")
    return dg.RunRequest(run_key=f"{month}@{context.scheduled_execution_time:%Y-%m-%d}", partition_key=month)
