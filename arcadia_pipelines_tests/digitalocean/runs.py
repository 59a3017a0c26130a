"""Dagster runs of the DigitalOcean assets with the code location's own resources."""

import dagster as dg

from arcadia_pipelines.definitions import defs

APRIL = "2026-04-01"


def run_inventory(instance, **config) -> dg.ExecuteInProcessResult:
    """One `do_inventory_job` run; `config` is do_inventory's run config (e.g. allow_mass_disappearance=True)."""
    run_config = {"ops": {"do_inventory": {"config": config}}} if config else None
    return defs.resolve_job_def("do_inventory_job").execute_in_process(instance=instance, run_config=run_config,
                                                                       raise_on_error=False)


def run_cloud_invoices(instance, partition=APRIL) -> dg.ExecuteInProcessResult:
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(
        partition_key=partition, asset_selection=[dg.AssetKey("cloud_invoices")], instance=instance,
        raise_on_error=False)


def materialization(result, node) -> dict:
    [mat] = result.asset_materializations_for_node(node)
    return {k: v.value for k, v in mat.metadata.items()}


def failure_message(result) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    data = failure.step_failure_data
    return data.user_failure_data.description if data.user_failure_data else data.error.message
