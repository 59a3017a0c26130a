"""Running the real code location's jobs in tests, and reading what they reported."""

from arcadia_pipelines.definitions import defs


def run(instance, partition="2026-04-01", run_config=None, **kw):
    job = defs.resolve_job_def("monthly_invoicing")
    return job.execute_in_process(partition_key=partition, instance=instance, run_config=run_config,
                                  raise_on_error=False, **kw)


def run_drift(instance):
    """The `invoice_drift` job, as its daily schedule launches it: no partition, every invoiced month."""
    return defs.resolve_job_def("invoice_drift").execute_in_process(instance=instance, raise_on_error=False)


def evaluations(result):
    """The asset check evaluations of a run."""
    return [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
