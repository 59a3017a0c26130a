"""Every contract table (docs/CONTRACT.md) as SQLAlchemy Core metadata.

Names are fixed by the contract; extra columns, keys and indexes are ours.
"""

from __future__ import annotations

import sqlalchemy as sa

from arcadia_pipelines.billing.credit_notes import PURPOSES as CREDIT_NOTE_PURPOSES
from arcadia_pipelines.billing.lifecycle import STATUSES as INVOICE_STATUSES

from .column_docs import describe
from .sqlfuncs import relevant_until
from .types import ExactDecimal, UtcDateTime

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# An integer key that autoincrements on both backends (SQLite only does so for INTEGER).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Cents = sa.BigInteger
Text = sa.Text


def _col(name, type_, *args, **kw):
    """Columns are NOT NULL unless they say otherwise."""
    kw.setdefault("nullable", False)
    return sa.Column(name, type_, *args, **kw)


# -- source tables: written by the platform ---------------------------------------------------

tenants = sa.Table(
    "tenants", metadata,
    _col("id", Text, primary_key=True),
    _col("name", Text),
    _col("country", Text, server_default="AU"),
    # billing details printed on invoices (migration 0008); null: not given
    _col("legal_name", Text, nullable=True),
    _col("billing_address", Text, nullable=True),
    _col("tax_id", Text, nullable=True),
    _col("payment_terms_days", sa.Integer, nullable=True),  # null: DEFAULT_PAYMENT_TERMS_DAYS
)

deployments = sa.Table(
    "deployments", metadata,
    _col("id", Text, primary_key=True),
    _col("tenant_id", Text, sa.ForeignKey("tenants.id"), index=True),
    _col("name", Text),
    _col("do_tag", Text, unique=True),
)

plans = sa.Table(
    "plans", metadata,
    _col("code", Text, primary_key=True),
    _col("effective_from", sa.Date, primary_key=True),
    _col("name", Text),
    _col("base_price_cents", Cents),
    _col("currency", Text, server_default="AUD"),
)

plan_meters = sa.Table(
    "plan_meters", metadata,
    _col("plan_code", Text, primary_key=True),
    _col("effective_from", sa.Date, primary_key=True),
    _col("meter", Text, primary_key=True),
    _col("resource_kind", Text),
    _col("included_quantity", ExactDecimal),
    _col("overage_unit_price_cents", ExactDecimal),
    sa.ForeignKeyConstraint(["plan_code", "effective_from"], ["plans.code", "plans.effective_from"]),
)

addons = sa.Table(
    "addons", metadata,
    _col("code", Text, primary_key=True),
    _col("effective_from", sa.Date, primary_key=True),
    _col("name", Text),
    _col("price_cents", Cents),
    _col("resource_kind", Text, nullable=True),
)

subscriptions = sa.Table(
    "subscriptions", metadata,
    _col("id", Text, primary_key=True),
    _col("tenant_id", Text, sa.ForeignKey("tenants.id"), index=True),
    _col("deployment_id", Text, sa.ForeignKey("deployments.id"), index=True),
    _col("plan_code", Text),
    _col("status", Text),
    _col("started_at", UtcDateTime),
    _col("ended_at", UtcDateTime, nullable=True),
)

subscription_addons = sa.Table(
    "subscription_addons", metadata,
    _col("subscription_id", Text, sa.ForeignKey("subscriptions.id"), primary_key=True),
    _col("addon_code", Text, primary_key=True),
    _col("quantity", sa.Integer, server_default="1"),
)

tax_rates = sa.Table(
    "tax_rates", metadata,
    _col("country", Text, primary_key=True),
    _col("effective_from", sa.Date, primary_key=True),
    _col("name", Text),
    _col("rate", ExactDecimal),
)

fx_rates = sa.Table(
    "fx_rates", metadata,
    _col("period_start", sa.Date, primary_key=True),
    _col("base_currency", Text, primary_key=True),
    _col("quote_currency", Text, primary_key=True),
    _col("rate", ExactDecimal),
)

# -- metering: written by the pipeline from DigitalOcean -------------------------------------

metered_resources = sa.Table(
    "metered_resources", metadata,
    _col("resource_kind", Text, primary_key=True),
    _col("resource_id", Text, primary_key=True),
    _col("started_at", UtcDateTime, primary_key=True),
    _col("deployment_id", Text, nullable=True),
    _col("size_slug", Text, nullable=True),
    _col("quantity", ExactDecimal),
    _col("ended_at", UtcDateTime, nullable=True),
    _col("last_seen_at", UtcDateTime),
    sa.Index("ix_metered_resources_deployment", "deployment_id", "resource_kind", "started_at"),
)
# The intervals that can matter to a month (monthend/usage.py `may_matter`) without the closed
# history of the months before it (migration 0011): a range of one index, hashed against the
# month's subscriptions (PostgreSQL), or a range per deployment, for nested loops (SQLite).
_relevant_until = relevant_until(metered_resources.c.started_at, metered_resources.c.ended_at)
sa.Index("ix_metered_resources_relevant_until", _relevant_until)
sa.Index("ix_metered_resources_deployment_relevant_until", metered_resources.c.deployment_id, _relevant_until)

# One row per `do_inventory` observation: freshness is measured here, so an account with no
# resources still counts as observed.
do_inventory_observations = sa.Table(
    "do_inventory_observations", metadata,
    _col("observed_at", UtcDateTime, primary_key=True),
    _col("droplets", sa.Integer),
    _col("volumes", sa.Integer),
)

cloud_invoices = sa.Table(
    "cloud_invoices", metadata,
    _col("invoice_uuid", Text, primary_key=True),
    _col("period_start", sa.Date, index=True),
    _col("amount_cents", Cents),
    _col("currency", Text, server_default="USD"),
)

cloud_invoice_items = sa.Table(
    "cloud_invoice_items", metadata,
    _col("invoice_uuid", Text, sa.ForeignKey("cloud_invoices.invoice_uuid", ondelete="CASCADE"),
         primary_key=True),
    _col("line_no", sa.Integer, primary_key=True),
    _col("product", Text, nullable=True),
    _col("resource_kind", Text, nullable=True),
    _col("resource_id", Text, nullable=True),
    _col("resource_uuid", Text, nullable=True),
    _col("description", Text, nullable=True),
    _col("group_description", Text, nullable=True),
    _col("project_name", Text, nullable=True),
    _col("amount_cents", Cents),
    _col("duration", ExactDecimal, nullable=True),
    _col("duration_unit", Text, nullable=True),
    _col("start_time", UtcDateTime, nullable=True),
    _col("end_time", UtcDateTime, nullable=True),
    _col("deployment_id", Text, nullable=True, index=True),
)

# -- outputs: one monthly partition each, read by BI tools -----------------------------------

deployment_usage = sa.Table(
    "deployment_usage", metadata,
    _col("period_start", sa.Date, primary_key=True),
    _col("subscription_id", Text, primary_key=True),
    _col("meter", Text, primary_key=True),
    _col("tenant_id", Text, index=True),
    _col("deployment_id", Text),
    _col("resource_kind", Text),
    _col("quantity", ExactDecimal),
    sa.Index("ix_deployment_usage_period_tenant", "period_start", "tenant_id"),
)

# The rows behind deployment_usage (migration 0009): each metered interval clipped to a billed
# subscription's window, with its whole hours; per (subscription, meter) they sum to the usage.
usage_evidence = sa.Table(
    "usage_evidence", metadata,
    _col("period_start", sa.Date, primary_key=True),
    _col("subscription_id", Text, primary_key=True),
    _col("meter", Text, primary_key=True),
    _col("resource_kind", Text, primary_key=True),  # with resource_id and started_at: the interval's
    _col("resource_id", Text, primary_key=True),    # metered_resources key
    _col("started_at", UtcDateTime, primary_key=True),
    _col("tenant_id", Text),
    _col("deployment_id", Text),
    _col("window_start", UtcDateTime),
    _col("window_end", UtcDateTime),
    _col("hours", sa.Integer),
    _col("size", ExactDecimal),
    _col("quantity", ExactDecimal),
)

deployment_quotes = sa.Table(
    "deployment_quotes", metadata,
    _col("period_start", sa.Date, primary_key=True),
    _col("subscription_id", Text, primary_key=True),
    _col("line_no", sa.Integer, primary_key=True),
    _col("tenant_id", Text),
    _col("deployment_id", Text),
    _col("window_start", UtcDateTime),  # the subscription's billed window in the period
    _col("window_end", UtcDateTime),
    _col("kind", Text),
    _col("resource_kind", Text, nullable=True),
    _col("meter", Text, nullable=True),
    _col("description", Text),
    _col("quantity", ExactDecimal),
    _col("unit_price_cents", ExactDecimal),
    _col("amount_cents", Cents),
    _col("currency", Text),
    sa.Index("ix_deployment_quotes_period_tenant", "period_start", "tenant_id"),
)

tenant_invoices = sa.Table(
    "tenant_invoices", metadata,
    _col("id", BigId, primary_key=True, autoincrement=True),
    _col("tenant_id", Text, sa.ForeignKey("tenants.id")),
    _col("period_start", sa.Date),
    _col("period_end", sa.Date),
    _col("currency", Text),
    _col("subtotal_cents", Cents),
    _col("tax_cents", Cents),
    _col("total_cents", Cents),
    _col("status", Text, server_default="draft"),
    _col("created_at", UtcDateTime),
    _col("updated_at", UtcDateTime),
    _col("issued_at", UtcDateTime, nullable=True),
    _col("paid_at", UtcDateTime, nullable=True),
    _col("voided_at", UtcDateTime, nullable=True),
    _col("tax_name", Text, nullable=True),  # the tax this invoice applied; NULL: no tax
    _col("tax_rate", ExactDecimal, nullable=True),
    # set when issued (migration 0008): the number, due date and the billing details printed on it
    _col("number", Text, nullable=True),
    _col("due_at", UtcDateTime, nullable=True),
    _col("bill_to_name", Text, nullable=True),
    _col("bill_to_address", Text, nullable=True),
    _col("bill_to_tax_id", Text, nullable=True),
    # migration 0013: why a draft is held back (its month has a billing error); NULL otherwise
    _col("held_reason", Text, nullable=True),
    sa.UniqueConstraint("tenant_id", "period_start"),
    sa.Index("uq_tenant_invoices_number", "number", unique=True),
    sa.CheckConstraint(f"status IN {INVOICE_STATUSES}", name="status"),
    sa.Index("ix_tenant_invoices_period_status", "period_start", "status"),
    sa.Index("ix_tenant_invoices_period_start_id", "period_start", "id"),  # the API list's order (migration 0016)
)

tenant_invoice_lines = sa.Table(
    "tenant_invoice_lines", metadata,
    _col("id", BigId, primary_key=True, autoincrement=True),
    _col("invoice_id", BigId, sa.ForeignKey("tenant_invoices.id", ondelete="CASCADE"), index=True),
    _col("line_no", sa.Integer),
    _col("kind", Text),
    _col("deployment_id", Text, nullable=True),
    _col("subscription_id", Text, nullable=True),
    _col("resource_kind", Text, nullable=True),
    _col("meter", Text, nullable=True),
    _col("description", Text),
    _col("quantity", ExactDecimal),
    _col("unit_price_cents", ExactDecimal),
    _col("amount_cents", Cents),
    sa.CheckConstraint("kind IN ('plan_base', 'addon', 'overage', 'tax')", name="kind"),
)

cost_vs_revenue = sa.Table(
    "cost_vs_revenue", metadata,
    _col("period_start", sa.Date, index=True),
    _col("tenant_id", Text, nullable=True),
    _col("deployment_id", Text, nullable=True),
    _col("resource_kind", Text, nullable=True),
    _col("revenue_cents", Cents),
    _col("revenue_currency", Text, nullable=True),
    _col("cost_cents", Cents),
    _col("cost_currency", Text, nullable=True),
    _col("cost_in_revenue_currency_cents", Cents, nullable=True),
    _col("margin_cents", Cents, nullable=True),
)

# Bad input found while rolling up a period: the tenant it names got no invoice.
billing_errors = sa.Table(
    "billing_errors", metadata,
    _col("id", BigId, primary_key=True, autoincrement=True),
    _col("period_start", sa.Date),
    _col("stage", Text),
    _col("tenant_id", Text),
    _col("subscription_id", Text, nullable=True),
    _col("rule", Text),
    _col("message", Text),
    _col("recorded_at", UtcDateTime),
    sa.Index("ix_billing_errors_period_stage", "period_start", "stage"),
)

# -- finance hand-off: invoice numbers and the events feed -----------------------------------

# One row (id 1): the last invoice number handed out. Issuing increments it in the issue's own
# transaction, so numbers have no gaps; its row lock also orders the appends to invoice_events.
invoice_number_sequence = sa.Table(
    "invoice_number_sequence", metadata,
    _col("id", sa.Integer, primary_key=True, autoincrement=False),
    _col("last_number", sa.BigInteger),
    sa.CheckConstraint("id = 1", name="one_row"),
)

INVOICE_EVENT_KINDS = ("created", "recomputed", "issued", "paid", "voided", "credited")

invoice_events = sa.Table(
    "invoice_events", metadata,
    _col("id", BigId, primary_key=True, autoincrement=True),
    _col("invoice_id", BigId, sa.ForeignKey("tenant_invoices.id", ondelete="CASCADE"), index=True),
    _col("credit_note_id", BigId, nullable=True),
    _col("tenant_id", Text),
    _col("kind", Text),
    _col("occurred_at", UtcDateTime),
    _col("status", Text),
    _col("number", Text, nullable=True),
    _col("currency", Text),
    _col("total_cents", Cents),
    sa.CheckConstraint(f"kind IN {INVOICE_EVENT_KINDS}", name="kind"),
    sa.Index("ix_invoice_events_tenant_id_id", "tenant_id", "id"),
    sqlite_autoincrement=True,  # ids are never reused, so a cursor never lands behind a new event
)

# -- credit notes: corrections of issued and paid invoices (migration 0010) ------------------

# One row (id 1): the last credit-note number handed out (CN-000001, ...), gap-free like invoice numbers.
credit_note_number_sequence = sa.Table(
    "credit_note_number_sequence", metadata,
    _col("id", sa.Integer, primary_key=True, autoincrement=False),
    _col("last_number", sa.BigInteger),
    sa.CheckConstraint("id = 1", name="one_row"),
)

# A credit note credits amounts of an invoice's non-tax lines; its tax is computed (billing/credit_notes.py).
credit_notes = sa.Table(
    "credit_notes", metadata,
    _col("id", BigId, primary_key=True, autoincrement=True),
    _col("invoice_id", BigId, sa.ForeignKey("tenant_invoices.id"), index=True),
    _col("tenant_id", Text, sa.ForeignKey("tenants.id")),
    _col("number", Text, unique=True),
    _col("reason", Text),
    _col("currency", Text),
    _col("subtotal_cents", Cents),
    _col("tax_cents", Cents),
    _col("total_cents", Cents),
    _col("tax_name", Text, nullable=True),  # the invoice's, copied: null when it applied no tax
    _col("tax_rate", ExactDecimal, nullable=True),
    _col("created_at", UtcDateTime),
    _col("created_by_key_id", BigId, sa.ForeignKey("api_keys.id"), nullable=True),
    _col("purpose", Text, server_default=CREDIT_NOTE_PURPOSES[0]),
    sa.CheckConstraint("subtotal_cents > 0 AND tax_cents >= 0 AND total_cents = subtotal_cents + tax_cents",
                       name="amounts"),
    sa.CheckConstraint(f"purpose IN {CREDIT_NOTE_PURPOSES}", name="purpose"),
)

credit_note_lines = sa.Table(
    "credit_note_lines", metadata,
    _col("id", BigId, primary_key=True, autoincrement=True),
    _col("credit_note_id", BigId, sa.ForeignKey("credit_notes.id", ondelete="CASCADE"), index=True),
    _col("invoice_line_id", BigId, sa.ForeignKey("tenant_invoice_lines.id"), index=True),
    _col("line_no", sa.Integer),
    _col("description", Text),
    _col("amount_cents", Cents),
    sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
)

# -- invoice API ------------------------------------------------------------------------------

API_KEY_ROLES = ("platform_admin", "tenant")

# Keys are stored only as a hash; `key_prefix` lets people tell keys apart in `api-key list`.
api_keys = sa.Table(
    "api_keys", metadata,
    _col("id", BigId, primary_key=True, autoincrement=True),
    _col("key_prefix", Text),
    _col("key_hash", Text, unique=True),
    _col("role", Text),
    _col("tenant_id", Text, sa.ForeignKey("tenants.id"), nullable=True),
    _col("created_at", UtcDateTime),
    _col("revoked_at", UtcDateTime, nullable=True),
    sa.CheckConstraint(f"role IN {API_KEY_ROLES}", name="role"),
    sa.CheckConstraint("(role = 'tenant') = (tenant_id IS NOT NULL)", name="tenant_scope"),
)

# -- webhooks: the events feed pushed to finance endpoints (migration 0015) -------------------

# A month's invoicing finished (the `tenant_invoices` report): its id is drawn from invoice_events'
# own id sequence under the feed's lock (invoicing/month_invoiced.py), so invoice events and these
# share one order and one id space.
month_invoiced_events = sa.Table(
    "month_invoiced_events", metadata,
    _col("id", sa.BigInteger, primary_key=True, autoincrement=False),
    _col("period_start", sa.Date, index=True),
    _col("occurred_at", UtcDateTime),
    _col("invoices", sa.Integer),
    _col("failed_tenants", sa.Integer),
    _col("totals", Text),  # JSON {currency: total cents}
)

webhook_endpoints = sa.Table(
    "webhook_endpoints", metadata,
    _col("id", BigId, primary_key=True, autoincrement=True),
    _col("url", Text),
    _col("event_types", Text),  # comma-separated, webhooks/event_types.py EVENT_TYPES
    _col("secret_encrypted", Text),
    _col("created_at", UtcDateTime),
    _col("disabled_at", UtcDateTime, nullable=True),
    _col("cursor_event_id", sa.BigInteger, server_default="0"),
    _col("last_delivered_event_id", sa.BigInteger, nullable=True),
    _col("last_delivered_at", UtcDateTime, nullable=True),
)

# The event an endpoint is retrying (at most one past its cursor), parked events, and events
# queued again by `webhooks redeliver`; a row goes when its event is delivered.
webhook_deliveries = sa.Table(
    "webhook_deliveries", metadata,
    _col("endpoint_id", BigId, sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), primary_key=True),
    _col("event_id", sa.BigInteger, primary_key=True),
    _col("attempts", sa.Integer),
    _col("next_attempt_at", UtcDateTime),
    _col("last_attempt_at", UtcDateTime, nullable=True),
    _col("last_error", Text, nullable=True),
    _col("parked_at", UtcDateTime, nullable=True),
)

webhook_failures = sa.Table(
    "webhook_failures", metadata,
    _col("id", BigId, primary_key=True, autoincrement=True),
    _col("endpoint_id", BigId, sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")),
    _col("event_id", sa.BigInteger),
    _col("failed_at", UtcDateTime),
    _col("error", Text),
    sa.Index("ix_webhook_failures_endpoint_id_failed_at", "endpoint_id", "failed_at"),
)

# Descriptions (comments) of every table and column, from their one source: column_docs.py.
describe(metadata)
