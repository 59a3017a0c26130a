import dagster as dg

from .executors import step_executor

# Recomputing a month to look for drift costs about as much as invoicing it, and right after the
# month-end there is none: drift runs in its own job, daily, not inside every month-end run.
DRIFT_CHECK = dg.AssetCheckKey(dg.AssetKey("tenant_invoices"), "invoices_match_current_data")

# In the run's process by default; tenant shards in parallel steps on request (executors.py).
STEP_EXECUTOR, STEP_EXECUTOR_DEFAULTS = step_executor()

# Partitions come from the assets: monthly, a range of months in one run.
monthly_invoicing = dg.define_asset_job(
    "monthly_invoicing",
    selection=dg.AssetSelection.assets("deployment_usage", "deployment_quotes", "tenant_invoices")
    - dg.AssetSelection.checks(DRIFT_CHECK),
    description="Invoices a month: usage -> quotes -> tenant invoices. Never waits for DigitalOcean's bill.",
    executor_def=STEP_EXECUTOR, config=STEP_EXECUTOR_DEFAULTS,
)

monthly_invoicing_schedule = dg.build_schedule_from_partitioned_job(
    monthly_invoicing, hour_of_day=3, default_status=dg.DefaultScheduleStatus.RUNNING,
    description="03:00 UTC on the 1st: invoices the month that just ended.")

invoice_drift = dg.define_asset_job(
    "invoice_drift", selection=dg.AssetSelection.checks(DRIFT_CHECK),
    description="Recomputes every invoiced month from current data and names the invoices that no longer "
                "match it (late or corrected usage, changed prices), with what to do.")

invoice_drift_daily = dg.ScheduleDefinition(
    job=invoice_drift, cron_schedule="0 7 * * *", execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="07:00 UTC daily: the drift check over every invoiced month.")
