"""The pure billing core: money, periods, price books, proration, quotes and tax.

No Dagster and no SQL here: the same functions answer `arcadia-pipelines quote` and build
the month-end invoices, so a quoted price and an invoiced price cannot drift apart.
"""
