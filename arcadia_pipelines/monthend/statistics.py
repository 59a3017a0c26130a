"""Planner statistics of the tables the month-end writes: the columns later stages and checks
filter and join on, refreshed by each stage inside its transaction (so the next statement of the
month plans on this month's rows, not on none) and once more after a stage's shards all committed.

A shard with siblings skips a table its sibling is refreshing (the lock ANALYZE holds to the end
of that sibling's transaction would otherwise serialise the shards), so until `settle_statistics`
runs, a table may be known by one shard's rows only, and the next stage would plan the other
shards' tenant ranges as empty."""

from __future__ import annotations

import sqlalchemy as sa

from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.schema import (deployment_quotes, deployment_usage, tenant_invoice_lines,
                                                tenant_invoices, usage_evidence)

_COLUMNS = {
    usage_evidence: ("period_start", "subscription_id", "meter", "tenant_id"),
    deployment_usage: ("period_start", "tenant_id", "subscription_id"),
    deployment_quotes: ("period_start", "tenant_id", "subscription_id"),
    tenant_invoices: ("id", "period_start", "tenant_id", "status"),
    tenant_invoice_lines: ("invoice_id",),
}

# What each sharded stage writes, by its asset.
STAGE_TABLES = {
    "deployment_usage": (usage_evidence, deployment_usage),
    "deployment_quotes": (deployment_quotes,),
    "tenant_invoices": (tenant_invoices, tenant_invoice_lines),
}


def refresh(conn: sa.Connection, *tables: sa.Table, unless_busy: bool = False) -> None:
    """Fresh statistics of `tables`' planning columns, in `conn`'s transaction; `unless_busy`: not
    of a table another transaction is refreshing (a sibling shard's)."""
    dialect_of(conn).refresh_statistics(conn, *(t.c[name] for t in tables for name in _COLUMNS[t]),
                                        unless_busy=unless_busy)


def settle_statistics(engine: sa.Engine, stage: str) -> None:
    """After every shard of `stage` committed: its tables' statistics of all their rows."""
    with engine.begin() as conn:
        refresh(conn, *STAGE_TABLES[stage])
