"""The steps every invoicing asset shares: `plan` splits the month's tenants into shards, and
what the shard steps counted is summed for the asset's metadata."""

from typing import Any

import dagster as dg
from pydantic import Field

from arcadia_pipelines.monthend.shards import MAX_SHARDS, Shard, automatic_shards, plan_shards

from ..resources import WarehouseResource


class ShardsConfig(dg.Config):
    shards: int = Field(default=0, ge=0, le=MAX_SHARDS)
    """Tenant shards the month is written in, each a step of its own. 0: one shard, or the machine's cores
    for a PostgreSQL month of many tenants when the run's executor runs steps in parallel processes."""


def shards_config(asset: str) -> dg.ConfigMapping:
    """The asset's run config ({"shards": K}) as the config of its `plan` step."""
    def mapping(config: ShardsConfig) -> dict:
        return {f"plan_{asset}": {"config": {"shards": config.shards}}}
    return dg.config_mapping(mapping)


def _steps_run_in_parallel(context: dg.OpExecutionContext) -> bool:
    """Whether the run's executor runs steps in processes of their own: multiprocess when the run
    config asks for it (monthly_invoicing runs in process by default), k8s or Celery."""
    name = context.job_def.executor_def.name
    if name == "multi_or_in_process_executor":
        execution = (context.run.run_config or {}).get("execution") or {}
        return "multiprocess" in (execution.get("config") or {})
    return "in_process" not in name


def plan_op(asset: str, upstream: list[str]) -> dg.OpDefinition:
    """The asset's first step: splits the month's tenants into shards, one `write` step each. It
    waits for the asset's upstream assets (one input each, loading nothing)."""

    @dg.op(name=f"plan_{asset}", ins={key: dg.In(dg.Nothing) for key in upstream}, out=dg.DynamicOut(Shard),
           description="Splits the month's tenants into shards, one step each.")
    def plan(context: dg.OpExecutionContext, config: ShardsConfig, warehouse: WarehouseResource):
        with warehouse.engine.connect() as conn:
            k = config.shards or automatic_shards(conn, _steps_run_in_parallel(context))
            shards = plan_shards(conn, k)
        context.log.info(f"{len(shards)} shard(s): " + "; ".join(s.label for s in shards))
        for n, shard in enumerate(shards):
            yield dg.DynamicOutput(shard, mapping_key=f"shard_{n}")

    return plan


def sum_counts(into: dict[str, Any], *others: dict[str, Any]) -> dict[str, Any]:
    """Add counts into `into`: numbers summed, dicts summed per key, lists joined."""
    for other in others:
        for key, value in other.items():
            if isinstance(value, dict):
                totals = into.setdefault(key, {})
                for k, v in value.items():
                    totals[k] = totals.get(k, 0) + v
            else:
                into[key] = into[key] + value if key in into else value
    return into


def per_month(shards: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """{month's partition key: every shard's counts of that month summed}, from shard steps that
    count each month of the run on its own."""
    months: dict[str, dict[str, Any]] = {}
    for shard in shards:
        for key, counts in shard.items():
            sum_counts(months.setdefault(key, {}), counts)
    return months
