"""The event types an endpoint can be sent, importable without the database (the CLI's help
lists them)."""

# The feed's event kind (invoice_events.kind) behind each pushed type; drafts' `created` and
# `recomputed` events are not pushed.
FEED_KINDS = {"issued": "invoice.issued", "paid": "invoice.paid", "voided": "invoice.voided",
              "credited": "credit_note.created"}
MONTH_INVOICED = "month.invoiced"
EVENT_TYPES = (*FEED_KINDS.values(), MONTH_INVOICED)
