"""Monthly partitions, and which months a run (or a run of checks alone) works on."""

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.billing.periods import Period

# UTC months; a month's partition exists once it has ended. The timezone lives here, not on
# the schedule, so ticks and partition keys agree.
monthly_partitions = dg.MonthlyPartitionsDefinition(start_date="2024-01-01", timezone="UTC")

# A range of months (UI or CLI backfill) is one run; each asset walks the months oldest first.
one_run_per_range = dg.BackfillPolicy.single_run()


def periods(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> list[Period]:
    """Every month of the run, oldest first: one for a normal run, several for a range. Read from
    the run's partition (range) itself, so a check that is not partitioned also sees it."""
    return [Period.parse(key) for key in monthly_partitions.get_partition_keys_in_range(context.partition_key_range)]


def checked_periods(context: dg.AssetCheckExecutionContext, conn: sa.Connection | None = None,
                    table: sa.Table | None = None) -> list[Period]:
    """The run's months; in a run without a partition (the UI's "Execute all" on checks), every
    month the checked asset has materialized or whose rows are in its `table`, oldest first."""
    if context.has_partition_key or context.has_partition_key_range:
        return periods(context)
    keys = {key for spec in context.check_specs for key in context.instance.get_materialized_partitions(spec.asset_key)}
    if table is not None:
        keys |= {start.isoformat() for start in conn.scalars(sa.select(table.c.period_start).distinct())}
    return [Period.parse(key) for key in sorted(keys)]
