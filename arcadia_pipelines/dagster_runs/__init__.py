"""Runs on a Dagster instance from outside the UI (the CLI's rollup, the demo): opening the
DAGSTER_HOME instance safely, launching `monthly_invoicing` and saying why a run failed."""
