import dagster as dg

# UTC months; a month's partition exists once it has ended. The timezone lives here, not on
# the schedule, so ticks and partition keys agree.
monthly_partitions = dg.MonthlyPartitionsDefinition(start_date="2024-01-01", timezone="UTC")
