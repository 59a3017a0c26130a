"""The month-end stages: usage, quotes, invoices, inventory, cloud bills, cost vs revenue and
their audits. Each is set-based SQL plus the billing core, run inside `stage.month_end_stage`."""
