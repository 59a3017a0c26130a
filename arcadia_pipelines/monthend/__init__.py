"""The month-end stages: usage, quotes, invoices, inventory, cloud bills, cost vs revenue and
their audits. Each is set-based SQL plus the billing core, run inside `stage.month_end_stage`,
optionally one tenant shard at a time. The same engine recomputes a month in memory for the
month-to-date preview and the drift check. No Dagster here."""
