"""Running the three invoicing stages against a real warehouse, as the assets do."""

from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.monthend.invoices import write_invoices
from arcadia_pipelines.monthend.quotes import write_quotes
from arcadia_pipelines.monthend.usage import write_usage

APRIL = Period.parse("2026-04")


def rollup(engine, period=APRIL, force=False):
    write_usage(engine, period)
    write_quotes(engine, period)
    return write_invoices(engine, period, force=force)
