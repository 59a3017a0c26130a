"""Every contract table (../shared/spec/CONTRACT.md) as SQLAlchemy Core metadata.

Names are fixed by the contract; extra columns, keys and indexes are ours.
"""

from __future__ import annotations

import sqlalchemy as sa

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

INVOICE_STATUSES = ("draft", "issued", "paid", "void")

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
    sa.UniqueConstraint("tenant_id", "period_start"),
    sa.CheckConstraint(f"status IN {INVOICE_STATUSES}", name="status"),
    sa.Index("ix_tenant_invoices_period_status", "period_start", "status"),
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
