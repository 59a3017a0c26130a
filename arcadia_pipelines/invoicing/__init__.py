"""What can happen to an invoice, carried out in the caller's transaction: one module per move.

    drafts.py  the month-end's create-or-recompute of a month's drafts (and holding them back)
    issue.py   draft -> issued: number, due date and billing details
    pay.py     issued -> paid
    void.py    draft or issued -> void
    credit.py  a credit note on an issued or paid invoice
    moves.py   a status move by name (the API's and the CLI's way in)

The rules (statuses, which move starts where, numbers, due dates, what a note may credit) are
billing/'s, pure; storage (schema, reads, bulk writes) is warehouse/'s. Every service takes a
SQLAlchemy connection and commits with the caller's transaction or not at all, so a refused or
rolled-back move consumes no number and leaves no event (events.py, numbering.py).
"""
