"""What every warehouse table, view and column means: the one source of the descriptions that
the Dagster catalog (`dagster/column_schema`), SQLAlchemy's metadata (`comment`) and PostgreSQL's
`COMMENT ON` show.

After changing a description, add a migration whose `upgrade()` calls `write_comments(op.get_bind())`:
on PostgreSQL the schema test compares the database's comments with these (SQLite has no comments).
Money in tables is integer cents; the `bi_` views add amounts in currency units (see VIEWS).
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from .dialect import dialect_of


class Doc(NamedTuple):
    description: str
    columns: dict[str, str]  # column -> description


class ViewDoc(NamedTuple):
    description: str
    columns: dict[str, tuple[str, str]]  # column -> (PostgreSQL type, description)


_PERIOD_START = "First day of the UTC month (the Dagster partition key, e.g. 2026-04-01)."
_PERIOD_END = "First day of the next month (exclusive)."
_EFFECTIVE_FROM = ("First day this price-book version applies; a month uses the latest version on or before "
                   "its first day.")
_DEPLOYMENT_ID = "Deployment (deployments.id)."
_TENANT_ID = "Tenant (tenants.id)."
_SUBSCRIPTION_ID = "Subscription (subscriptions.id)."
_METER = "Meter: droplet_hours (droplets) or volume_gb_hours (volumes)."
_LINE_KIND = "Line kind: plan_base, addon, overage or tax."
_LINE_RESOURCE_KIND = ("What the line charges for: plan for plan_base, the addon's resource_kind for addon, "
                       "the meter's resource_kind for overage; null on the tax line.")
_QUANTITY = ("Quantity charged (exact decimal): 1 for a full-month plan, the prorated count for addons, "
             "the hours or GB-hours above the allowance for overage.")
_UNIT_PRICE = "Unit price in cents (exact decimal; fractional cents allowed)."
_AMOUNT = "Line amount in integer cents, rounded half up once from exact values."
_CURRENCY = "ISO 4217 currency code (e.g. AUD)."
_DO_KIND = ("Kind of DigitalOcean resource: droplet, volume, load_balancer, snapshot, backup, kubernetes, database, "
            "spaces, reserved_ip, container_registry, app_platform, bandwidth; null when not recognised.")

TABLES: dict[str, Doc] = {
    # -- source tables, written by the platform
    "tenants": Doc("Tenants of the platform: who gets invoiced. Written by the platform.", {
        "id": "Tenant id (primary key).",
        "name": "Tenant's display name.",
        "country": "ISO 3166-1 alpha-2 country (default AU); picks the tax rate in tax_rates.",
        "legal_name": "Legal name printed on the tenant's invoices; null: the display name is printed.",
        "billing_address": "Postal address printed on the tenant's invoices (lines separated by newlines); null: none.",
        "tax_id": "Tenant's tax number (an ABN in Australia), printed on its tax invoices; null: none.",
        "payment_terms_days": "Days from issue until an invoice is due, 0 to 3650; null: 14.",
    }),
    "deployments": Doc("A tenant's deployment and the DigitalOcean tag its resources carry. Written by the platform.", {
        "id": "Deployment id (primary key).",
        "tenant_id": "Owning tenant (tenants.id).",
        "name": "Deployment's display name.",
        "do_tag": "DigitalOcean tag (unique): droplets and volumes carrying it belong to this deployment.",
    }),
    "plans": Doc("Price-book versions of the plans.", {
        "code": "Plan code (e.g. studio).",
        "effective_from": _EFFECTIVE_FROM,
        "name": "Plan's display name, shown on the plan_base line.",
        "base_price_cents": "Price of a full month in integer cents, prorated by days for partial months.",
        "currency": "Currency of the plan's prices and of invoices on it (default AUD).",
    }),
    "plan_meters": Doc("Usage allowance and overage price of each meter of a plan version.", {
        "plan_code": "Plan (plans.code).",
        "effective_from": "Plan version (plans.effective_from) this meter belongs to.",
        "meter": _METER,
        "resource_kind": "Resource kind the meter counts: droplet for droplet_hours, volume for volume_gb_hours.",
        "included_quantity": "Quantity included in a full month (exact decimal), prorated like the plan.",
        "overage_unit_price_cents": "Price per unit above the allowance in cents (exact decimal; fractional cents).",
    }),
    "addons": Doc("Price-book versions of the addons.", {
        "code": "Addon code; invoice lines read 'Addon: <code>'.",
        "effective_from": _EFFECTIVE_FROM,
        "name": "Addon's display name.",
        "price_cents": "Price of one unit for a full month in integer cents, prorated by days.",
        "resource_kind": "Resource kind the addon is for (e.g. volume); null when none.",
    }),
    "subscriptions": Doc("A deployment on a plan over [started_at, ended_at). Written by the platform.", {
        "id": "Subscription id (primary key).",
        "tenant_id": "Subscribing tenant (tenants.id).",
        "deployment_id": "Subscribed deployment (deployments.id); its metered usage is billed here.",
        "plan_code": "Plan (plans.code); the version comes from the billed month.",
        "status": "active or cancelled; a cancelled subscription must have ended_at.",
        "started_at": "Start of the subscription (UTC, inclusive).",
        "ended_at": "End of the subscription (UTC, exclusive); null while it runs.",
    }),
    "subscription_addons": Doc("Addons on a subscription.", {
        "subscription_id": "Subscription (subscriptions.id).",
        "addon_code": "Addon (addons.code); the version comes from the billed month.",
        "quantity": "Number of units (default 1).",
    }),
    "tax_rates": Doc("Tax rate per country, versioned; ships AU GST 0.10 from 2000-07-01.", {
        "country": "ISO 3166-1 alpha-2 country.",
        "effective_from": "First day this rate applies; a month uses the latest rate on or before its first day.",
        "name": "Tax name shown on the tax line (e.g. GST).",
        "rate": "Rate as an exact decimal fraction (0.10 = 10%).",
    }),
    "fx_rates": Doc("Monthly exchange rates: 1 base_currency = rate quote_currency.", {
        "period_start": _PERIOD_START,
        "base_currency": "Currency converted from (ISO 4217).",
        "quote_currency": "Currency converted to (ISO 4217).",
        "rate": "Units of quote_currency per unit of base_currency (exact decimal).",
    }),
    # -- metering, written by the pipeline from DigitalOcean
    "metered_resources": Doc("One row per lifetime interval of a DigitalOcean droplet or volume; a resize or "
                             "a move to another deployment closes one interval and opens the next.", {
        "resource_kind": "droplet or volume.",
        "resource_id": "DigitalOcean id of the droplet or volume.",
        "started_at": "Start of the interval (UTC).",
        "deployment_id": "Deployment whose do_tag the resource carries; null when untagged or claimed by several.",
        "size_slug": "Droplet size slug (e.g. s-1vcpu-1gb); null for volumes.",
        "quantity": "Units metered per hour: 1 for a droplet, the size in GB for a volume (exact decimal).",
        "ended_at": "End of the interval (UTC); null while the resource still runs in this shape.",
        "last_seen_at": "Last inventory observation that saw the resource in this interval (UTC).",
    }),
    "do_inventory_observations": Doc("One row per observation of the DigitalOcean inventory (do_inventory); "
                                     "freshness is measured here.", {
        "observed_at": "When the inventory was listed (UTC).",
        "droplets": "Droplets listed, GPU droplets included.",
        "volumes": "Volumes listed.",
    }),
    "cloud_invoices": Doc("DigitalOcean's monthly bill to us (cost), one per month.", {
        "invoice_uuid": "DigitalOcean's invoice uuid.",
        "period_start": _PERIOD_START,
        "amount_cents": "Invoice total in integer cents.",
        "currency": "Invoice currency (USD).",
    }),
    "cloud_invoice_items": Doc("Items of DigitalOcean's bill, attributed to deployments through metered_resources.", {
        "invoice_uuid": "Invoice (cloud_invoices.invoice_uuid).",
        "line_no": "Position of the item in the invoice, from 1.",
        "product": "DigitalOcean product name (e.g. Droplets).",
        "resource_kind": _DO_KIND,
        "resource_id": "DigitalOcean id of the billed resource, when given.",
        "resource_uuid": "DigitalOcean uuid of the billed resource, when given.",
        "description": "DigitalOcean's description of the item.",
        "group_description": "DigitalOcean's group of the item.",
        "project_name": "DigitalOcean project of the resource.",
        "amount_cents": "Item amount in integer cents of the invoice's currency.",
        "duration": "Billed duration (exact decimal), in duration_unit.",
        "duration_unit": "Unit of duration (e.g. Hours).",
        "start_time": "Start of the billed time (UTC).",
        "end_time": "End of the billed time (UTC).",
        "deployment_id": "Deployment the item is attributed to; null when no metered resource matches.",
    }),
    # -- outputs, one monthly partition each
    "deployment_usage": Doc("Metered quantity per billed subscription and meter inside its window in the month.", {
        "period_start": _PERIOD_START,
        "subscription_id": _SUBSCRIPTION_ID,
        "meter": _METER,
        "tenant_id": _TENANT_ID,
        "deployment_id": _DEPLOYMENT_ID,
        "resource_kind": "droplet or volume.",
        "quantity": "Usage (exact decimal): each interval counts ceil(overlap hours) x its quantity.",
    }),
    "usage_evidence": Doc("The rows behind deployment_usage: each metered interval inside a billed subscription's "
                          "window in the month; per subscription and meter their quantities sum to the usage.", {
        "period_start": _PERIOD_START,
        "subscription_id": _SUBSCRIPTION_ID,
        "meter": _METER,
        "resource_kind": "droplet or volume (with resource_id and started_at: the metered_resources key).",
        "resource_id": "DigitalOcean id of the droplet or volume.",
        "started_at": "Start of the metered interval (metered_resources.started_at, UTC).",
        "tenant_id": _TENANT_ID,
        "deployment_id": _DEPLOYMENT_ID,
        "window_start": "Start of the interval's overlap with the subscription's billed window (UTC).",
        "window_end": "End of that overlap (UTC, exclusive).",
        "hours": "Whole hours counted: ceil(overlap seconds / 3600).",
        "size": "Units metered per hour: 1 for a droplet, the size in GB for a volume (exact decimal).",
        "quantity": "hours x size (exact decimal): this interval's share of the usage.",
    }),
    "deployment_quotes": Doc("The quote engine's lines for every billed subscription (no tax).", {
        "period_start": _PERIOD_START,
        "subscription_id": _SUBSCRIPTION_ID,
        "line_no": "Position of the line in the subscription's quote, from 1.",
        "tenant_id": _TENANT_ID,
        "deployment_id": _DEPLOYMENT_ID,
        "window_start": "Start of the subscription's billed window in the month (UTC).",
        "window_end": "End of the billed window (UTC, exclusive).",
        "kind": "Line kind: plan_base, addon or overage.",
        "resource_kind": "plan for plan_base, the addon's resource_kind for addon, the meter's for overage.",
        "meter": "Meter of an overage line; null otherwise.",
        "description": "Line text for people (e.g. 'Addon: storage_50gb').",
        "quantity": _QUANTITY,
        "unit_price_cents": _UNIT_PRICE,
        "amount_cents": _AMOUNT,
        "currency": "Currency of the plan (ISO 4217).",
    }),
    "tenant_invoices": Doc("One invoice per tenant and month.", {
        "id": "Invoice id (primary key).",
        "tenant_id": _TENANT_ID,
        "period_start": _PERIOD_START,
        "period_end": _PERIOD_END,
        "currency": _CURRENCY,
        "subtotal_cents": "Sum of the non-tax lines, in integer cents.",
        "tax_cents": "Tax in integer cents: round half up(subtotal x rate); 0 without a rate.",
        "total_cents": "subtotal_cents + tax_cents.",
        "status": "draft, issued, paid or void; new invoices are draft.",
        "created_at": "When the invoice was created (UTC).",
        "updated_at": "Last change of the invoice (UTC).",
        "issued_at": "When it was issued (UTC); null until then.",
        "paid_at": "When it was paid (UTC); null until then.",
        "voided_at": "When it was voided (UTC); null unless void.",
        "tax_name": "Name of the tax applied (e.g. GST); null when no tax applied.",
        "tax_rate": "Tax rate applied (exact decimal, 0.10 = 10%); null when no tax applied.",
        "number": "Invoice number (e.g. INV-000123), gap-free in issue order; null until issued.",
        "due_at": "When payment is due (UTC): issued_at plus the tenant's payment terms; null until issued.",
        "bill_to_name": "Buyer's name as printed on the invoice, copied from the tenant when issued.",
        "bill_to_address": "Buyer's address as printed on the invoice, copied from the tenant when issued.",
        "bill_to_tax_id": "Buyer's tax number (ABN) as printed on the invoice, copied from the tenant when issued.",
        "held_reason": "Why this draft is held back: the billing error (rule: message) of the tenant's month; it "
                       "cannot be issued until the input is fixed and the month re-run. Null unless held.",
    }),
    "tenant_invoice_lines": Doc("Lines of the tenant invoices, the tax line last.", {
        "id": "Line id (primary key).",
        "invoice_id": "Invoice (tenant_invoices.id).",
        "line_no": "Position of the line in the invoice, from 1.",
        "kind": _LINE_KIND,
        "deployment_id": "Deployment charged; null on the tax line.",
        "subscription_id": "Subscription charged; null on the tax line.",
        "resource_kind": _LINE_RESOURCE_KIND,
        "meter": "Meter of an overage line; null otherwise.",
        "description": "Line text for people (e.g. 'Addon: storage_50gb', 'GST 10%').",
        "quantity": _QUANTITY,
        "unit_price_cents": _UNIT_PRICE,
        "amount_cents": _AMOUNT,
    }),
    "cost_vs_revenue": Doc("Revenue (non-void invoice lines, tax excluded) against DigitalOcean cost per month, "
                           "tenant, deployment and resource kind.", {
        "period_start": _PERIOD_START,
        "tenant_id": "Tenant; null for DigitalOcean cost on no deployment.",
        "deployment_id": "Deployment; null for DigitalOcean cost on no deployment.",
        "resource_kind": "Resource kind of the revenue lines and cost items (plan rows have revenue only).",
        "revenue_cents": "Invoiced amount in integer cents of revenue_currency, tax excluded.",
        "revenue_currency": "Currency of the tenant's invoice; the reporting currency on rows without one.",
        "cost_cents": "DigitalOcean cost in integer cents of cost_currency.",
        "cost_currency": "Currency of DigitalOcean's bill (USD); null on rows without cost.",
        "cost_in_revenue_currency_cents": "Cost converted with the month's fx_rates, rounded half up once; "
                                          "null when the rate is missing.",
        "margin_cents": "revenue_cents - cost_in_revenue_currency_cents; null when the rate is missing.",
    }),
    "billing_errors": Doc("Bad input found while rolling up a month: the tenant it names got no invoice.", {
        "id": "Error id (primary key).",
        "period_start": _PERIOD_START,
        "stage": "Stage that found it: usage, quotes or invoices.",
        "tenant_id": "Tenant that got no invoice because of it.",
        "subscription_id": "Subscription at fault; null when the tenant as a whole is.",
        "rule": "Name of the broken rule (e.g. unknown_plan_version).",
        "message": "What is wrong, for people.",
        "recorded_at": "When the stage recorded it (UTC).",
    }),
    # -- finance hand-off
    "invoice_number_sequence": Doc("One row: the last invoice number handed out; issuing increments it in the "
                                   "same transaction, so numbers are never skipped or reused.", {
        "id": "Always 1.",
        "last_number": "Number of the last issued invoice (0 before the first).",
    }),
    "invoice_events": Doc("Every change of an invoice, in commit order: the events feed "
                          "(GET /api/v1/events); id is the cursor order.", {
        "id": "Event id (primary key); events become visible in id order.",
        "invoice_id": "Invoice (tenant_invoices.id).",
        "credit_note_id": "Credit note of a credited event; null for the invoice's own events.",
        "tenant_id": _TENANT_ID,
        "kind": "created, recomputed, issued, paid, voided or credited.",
        "occurred_at": "When the change was made (UTC).",
        "status": "Invoice status after the change.",
        "number": "Invoice number after the change; null before issue.",
        "currency": _CURRENCY,
        "total_cents": "Invoice total after the change, in integer cents.",
    }),
    # -- credit notes
    "credit_note_number_sequence": Doc("One row: the last credit-note number handed out; a credit note increments "
                                       "it in its own transaction, so numbers are never skipped or reused.", {
        "id": "Always 1.",
        "last_number": "Number of the last credit note (0 before the first).",
    }),
    "credit_notes": Doc("Credit notes: corrections of, or concessions on, issued and paid invoices, which keep "
                        "their own amounts; "
                        "an invoice's balance is its total minus its credit notes' totals.", {
        "id": "Credit note id (primary key).",
        "invoice_id": "Invoice credited (tenant_invoices.id).",
        "tenant_id": _TENANT_ID,
        "number": "Credit note number (e.g. CN-000001), gap-free in creation order.",
        "reason": "Why the invoice was credited, as given by the admin who made the note.",
        "currency": "Currency of the invoice credited (ISO 4217).",
        "subtotal_cents": "Sum of the note's lines, in integer cents (tax excluded).",
        "tax_cents": "Tax credited in integer cents: round half up(subtotal x tax_rate) once per note, capped so "
                     "the invoice's credit notes never credit more tax than it charged; the note that credits its "
                     "last remaining cent takes the tax that remains.",
        "total_cents": "subtotal_cents + tax_cents.",
        "tax_name": "Name of the invoice's tax (e.g. GST), copied from it; null when it applied no tax.",
        "tax_rate": "The invoice's tax rate (exact decimal), copied from it; null when it applied no tax.",
        "created_at": "When the note was made (UTC).",
        "created_by_key_id": "API key that made the note (api_keys.id); null when made outside the API.",
        "purpose": "correction (the invoice billed what its data does not support: drift after invoicing counts "
                   "it) or goodwill (a concession that corrects nothing: it lowers the balance, drift leaves it out).",
    }),
    "credit_note_lines": Doc("Lines of the credit notes: an amount credited on one non-tax invoice line.", {
        "id": "Line id (primary key).",
        "credit_note_id": "Credit note (credit_notes.id).",
        "invoice_line_id": "Invoice line credited (tenant_invoice_lines.id); at most its amount in total over "
                           "every note.",
        "line_no": "Position of the line in the note, from 1.",
        "description": "The invoice line's text, copied.",
        "amount_cents": "Amount credited, in integer cents (positive).",
    }),
    # -- invoice API
    "api_keys": Doc("Invoice API keys, stored only as hashes.", {
        "id": "Key id (primary key), used by `api-key revoke`.",
        "key_prefix": "First characters of the key, to tell keys apart.",
        "key_hash": "SHA-256 hash of the key (the key itself is never stored).",
        "role": "platform_admin (every tenant) or tenant (one tenant).",
        "tenant_id": "Tenant a tenant key sees; null for platform_admin keys.",
        "created_at": "When the key was created (UTC).",
        "revoked_at": "When the key was revoked (UTC); null while valid.",
    }),
    # -- webhooks
    "month_invoiced_events": Doc("A month's invoicing finished (the month.invoiced webhook event); ids share "
                                 "invoice_events' sequence and order.", {
        "id": "Event id, drawn from invoice_events' id sequence (primary key).",
        "period_start": _PERIOD_START,
        "occurred_at": "When the month's tenant_invoices report finished (UTC).",
        "invoices": "Invoices the month has, any status.",
        "failed_tenants": "Tenants with bad input that got no invoice for the month.",
        "totals": "JSON object: the month's invoice totals in integer cents per currency.",
    }),
    "webhook_endpoints": Doc("Receivers the events feed is pushed to (`arcadia-pipelines webhooks add`).", {
        "id": "Endpoint id (primary key), used by the webhooks commands.",
        "url": "Where events are POSTed.",
        "event_types": "Comma-separated event types the endpoint receives (invoice.issued, invoice.paid, "
                       "invoice.voided, credit_note.created, month.invoiced).",
        "secret_encrypted": "Signing secret, encrypted with ARCADIA_WEBHOOK_KEY (or the key file in DAGSTER_HOME); "
                            "never stored in clear.",
        "created_at": "When the endpoint was added (UTC).",
        "disabled_at": "When the endpoint was disabled (UTC); null while it receives events.",
        "cursor_event_id": "Last event id the endpoint is done with (delivered, parked or not subscribed); "
                           "delivery resumes after it.",
        "last_delivered_event_id": "Last event id the endpoint answered with a 2xx; null before the first.",
        "last_delivered_at": "When that event was delivered (UTC).",
    }),
    "webhook_deliveries": Doc("Events an endpoint is retrying, has parked as dead, or was asked to redeliver.", {
        "endpoint_id": "Endpoint (webhook_endpoints.id).",
        "event_id": "Event id (invoice_events.id or month_invoiced_events.id).",
        "attempts": "Failed attempts so far.",
        "next_attempt_at": "Earliest time of the next attempt (UTC).",
        "last_attempt_at": "When the last attempt failed (UTC); null before the first.",
        "last_error": "Why the last attempt failed (HTTP status, timeout or connection error).",
        "parked_at": "When the event was parked as dead after the attempt limit (UTC); null while pending.",
    }),
    "webhook_failures": Doc("Every failed delivery attempt (the failures-in-the-last-day figure), kept 30 days.", {
        "id": "Failure id (primary key).",
        "endpoint_id": "Endpoint (webhook_endpoints.id).",
        "event_id": "Event id attempted.",
        "failed_at": "When the attempt failed (UTC).",
        "error": "Why (HTTP status, timeout or connection error).",
    }),
}

# Money in currency units: NUMERIC(20, 2) on PostgreSQL, exact; REAL on SQLite (migration 0014), a number
# for display and charts, with the exact integer cents in the `_cents` column beside it.
UNITS = "numeric(20, 2)"
_UNITS_NOTE = (" numeric(20, 2) on PostgreSQL; on SQLite REAL, for display and charts (sum the _cents column "
               "for exact totals).")
_SQLITE_REAL = " On SQLite REAL."
_PERIOD = "Month as YYYY-MM (e.g. 2026-04)."
_TODAY = "as of the query's UTC date"
_DUE = ("What the tenant still owes on it: the balance of an issued invoice, 0 for draft, paid and void ones; ")
_PURPOSE = ("correction (the invoice billed what its data does not support: it comes off revenue) or goodwill "
            "(a concession: it lowers the balance, not revenue).")

# Views for BI tools, created by migration 0007, changed by 0014.
VIEWS: dict[str, ViewDoc] = {
    "bi_invoices": ViewDoc("Tenant invoices with the tenant's name and amounts in currency units; one row per "
                           "invoice.", {
        "invoice_id": ("bigint", "Invoice id (tenant_invoices.id)."),
        "tenant_id": ("text", _TENANT_ID),
        "tenant_name": ("text", "Tenant's display name."),
        "tenant_country": ("text", "Tenant's country (ISO 3166-1 alpha-2)."),
        "period": ("text", _PERIOD),
        "period_start": ("date", _PERIOD_START),
        "period_end": ("date", _PERIOD_END),
        "status": ("text", "draft, issued, paid or void."),
        "currency": ("text", _CURRENCY),
        "subtotal": (UNITS, "Sum of the non-tax lines in currency units;" + _UNITS_NOTE),
        "tax": (UNITS, "Tax in currency units;" + _UNITS_NOTE),
        "total": (UNITS, "subtotal + tax in currency units;" + _UNITS_NOTE),
        "tax_name": ("text", "Name of the tax applied (e.g. GST); null when no tax applied."),
        "tax_rate": ("numeric", "Tax rate applied (0.10 = 10%); null when no tax applied." + _SQLITE_REAL),
        "subtotal_cents": ("bigint", "Subtotal in integer cents (sum these for exact totals on any backend)."),
        "tax_cents": ("bigint", "Tax in integer cents."),
        "total_cents": ("bigint", "Total in integer cents."),
        "created_at": ("timestamp with time zone", "When the invoice was created (UTC)."),
        "issued_at": ("timestamp with time zone", "When it was issued (UTC); null until then."),
        "paid_at": ("timestamp with time zone", "When it was paid (UTC); null until then."),
        "voided_at": ("timestamp with time zone", "When it was voided (UTC); null unless void."),
        "number": ("text", "Invoice number (e.g. INV-000123); null until issued."),
        "due_at": ("timestamp with time zone", "When payment is due (UTC); null until issued."),
        "issued_on": ("date", "UTC date it was issued; null until then."),
        "due_on": ("date", "UTC date payment is due; null until issued."),
        "paid_on": ("date", "UTC date it was paid; null until then."),
        "voided_on": ("date", "UTC date it was voided; null unless void."),
        "credited": (UNITS, "What its credit notes credited, tax included, in currency units;" + _UNITS_NOTE),
        "balance": (UNITS, "total - credited in currency units (the API's balance);" + _UNITS_NOTE),
        "amount_due": (UNITS, _DUE + "in currency units;" + _UNITS_NOTE),
        "credited_cents": ("bigint", "Credited in integer cents (credit notes' totals, tax included)."),
        "balance_cents": ("bigint", "total_cents - credited_cents."),
        "amount_due_cents": ("bigint", _DUE + "in integer cents."),
        "days_overdue": ("integer", f"Days past its due date {_TODAY} (0 until then) while an amount is due; "
                                    "null when nothing is due (draft, paid, void or fully credited)."),
    }),
    "bi_invoice_lines": ViewDoc("Invoice lines with their invoice's tenant, month, status and currency, and "
                                "amounts in currency units; one row per line.", {
        "line_id": ("bigint", "Line id (tenant_invoice_lines.id)."),
        "invoice_id": ("bigint", "Invoice id (tenant_invoices.id)."),
        "line_no": ("integer", "Position of the line in the invoice, from 1."),
        "tenant_id": ("text", _TENANT_ID),
        "tenant_name": ("text", "Tenant's display name."),
        "period": ("text", _PERIOD),
        "period_start": ("date", _PERIOD_START),
        "period_end": ("date", _PERIOD_END),
        "invoice_status": ("text", "Status of the invoice: draft, issued, paid or void."),
        "currency": ("text", _CURRENCY),
        "kind": ("text", _LINE_KIND),
        "description": ("text", "Line text for people (e.g. 'Addon: storage_50gb', 'GST 10%')."),
        "deployment_id": ("text", "Deployment charged; null on the tax line."),
        "deployment_name": ("text", "Deployment's display name; null on the tax line."),
        "subscription_id": ("text", "Subscription charged; null on the tax line."),
        "resource_kind": ("text", _LINE_RESOURCE_KIND),
        "meter": ("text", "Meter of an overage line; null otherwise."),
        "quantity": ("numeric", _QUANTITY + _SQLITE_REAL),
        "unit_price_cents": ("numeric", _UNIT_PRICE + _SQLITE_REAL),
        "amount": (UNITS, "Line amount in currency units;" + _UNITS_NOTE),
        "amount_cents": ("bigint", "Line amount in integer cents (sum these for exact totals on any backend)."),
    }),
    "bi_cost_vs_revenue": ViewDoc("Revenue net of correction credit notes against DigitalOcean cost per month, "
                                  "tenant, deployment and resource kind, with names and amounts in currency units; "
                                  "goodwill credits are shown apart and lower neither revenue nor margin.", {
        "period": ("text", _PERIOD),
        "period_start": ("date", _PERIOD_START),
        "tenant_id": ("text", "Tenant; null for DigitalOcean cost on no deployment."),
        "tenant_name": ("text", "Tenant's display name; null for DigitalOcean cost on no deployment."),
        "deployment_id": ("text", "Deployment; null for DigitalOcean cost on no deployment."),
        "deployment_name": ("text", "Deployment's display name; null for DigitalOcean cost on no deployment."),
        "resource_kind": ("text", "Resource kind of the revenue lines and cost items (plan rows have revenue only)."),
        "revenue_currency": ("text", "Currency of revenue, converted cost and margin."),
        "revenue": (UNITS, "Invoiced amount, tax excluded, less correction credit notes on it (invoiced_revenue - "
                           "corrections), in units of revenue_currency;" + _UNITS_NOTE),
        "cost_currency": ("text", "Currency of DigitalOcean's bill (USD); null on rows without cost."),
        "cost": (UNITS, "DigitalOcean cost in units of cost_currency;" + _UNITS_NOTE),
        "cost_in_revenue_currency": (UNITS, "Cost converted into revenue_currency with the month's fx_rates; null "
                                            "when the rate is missing;" + _UNITS_NOTE),
        "margin": (UNITS, "revenue - cost_in_revenue_currency; null when the rate is missing;" + _UNITS_NOTE),
        "revenue_cents": ("bigint", "Revenue (net of corrections) in integer cents."),
        "cost_cents": ("bigint", "Cost in integer cents of cost_currency."),
        "cost_in_revenue_currency_cents": ("bigint", "Converted cost in integer cents; null when the rate is missing."),
        "margin_cents": ("bigint", "Margin in integer cents; null when the rate is missing."),
        "invoiced_revenue": (UNITS, "Invoiced amount, tax excluded, before credit notes (cost_vs_revenue's "
                                    "revenue);" + _UNITS_NOTE),
        "corrections": (UNITS, "Correction credit notes on these invoice lines (tax excluded), counted in the "
                               "month of the invoice;" + _UNITS_NOTE),
        "goodwill": (UNITS, "Goodwill credit notes on these invoice lines (tax excluded): conceded, not taken off "
                            "revenue;" + _UNITS_NOTE),
        "invoiced_revenue_cents": ("bigint", "Invoiced revenue in integer cents."),
        "corrections_cents": ("bigint", "Corrections in integer cents."),
        "goodwill_cents": ("bigint", "Goodwill credits in integer cents."),
    }),
    "bi_credit_notes": ViewDoc("Credit notes with their invoice's number and month and the tenant's name, amounts "
                               "in currency units; one row per note.", {
        "credit_note_id": ("bigint", "Credit note id (credit_notes.id)."),
        "number": ("text", "Credit note number (e.g. CN-000001)."),
        "invoice_id": ("bigint", "Invoice credited (tenant_invoices.id)."),
        "invoice_number": ("text", "Number of the invoice credited (e.g. INV-000123)."),
        "tenant_id": ("text", _TENANT_ID),
        "tenant_name": ("text", "Tenant's display name."),
        "period": ("text", "Month of the invoice credited, as YYYY-MM."),
        "period_start": ("date", "First day of the invoice's month."),
        "purpose": ("text", _PURPOSE),
        "reason": ("text", "Why the invoice was credited, as given by the admin who made the note."),
        "currency": ("text", _CURRENCY),
        "subtotal": (UNITS, "Sum of the note's lines (tax excluded) in currency units;" + _UNITS_NOTE),
        "tax": (UNITS, "Tax credited in currency units;" + _UNITS_NOTE),
        "total": (UNITS, "subtotal + tax in currency units;" + _UNITS_NOTE),
        "tax_name": ("text", "Name of the invoice's tax (e.g. GST); null when it applied no tax."),
        "tax_rate": ("numeric", "The invoice's tax rate; null when it applied no tax." + _SQLITE_REAL),
        "subtotal_cents": ("bigint", "Subtotal in integer cents."),
        "tax_cents": ("bigint", "Tax in integer cents."),
        "total_cents": ("bigint", "Total in integer cents."),
        "created_at": ("timestamp with time zone", "When the note was made (UTC)."),
        "created_on": ("date", "UTC date the note was made."),
    }),
    "bi_credit_note_lines": ViewDoc("Credit note lines with the invoice line they credit (kind, deployment, resource "
                                    "kind), amounts in currency units; one row per line.", {
        "line_id": ("bigint", "Line id (credit_note_lines.id)."),
        "credit_note_id": ("bigint", "Credit note (credit_notes.id)."),
        "credit_note_number": ("text", "Credit note number (e.g. CN-000001)."),
        "line_no": ("integer", "Position of the line in the note, from 1."),
        "invoice_id": ("bigint", "Invoice credited (tenant_invoices.id)."),
        "invoice_number": ("text", "Number of the invoice credited."),
        "invoice_line_id": ("bigint", "Invoice line credited (tenant_invoice_lines.id)."),
        "tenant_id": ("text", _TENANT_ID),
        "tenant_name": ("text", "Tenant's display name."),
        "period": ("text", "Month of the invoice credited, as YYYY-MM."),
        "period_start": ("date", "First day of the invoice's month."),
        "purpose": ("text", _PURPOSE),
        "currency": ("text", _CURRENCY),
        "description": ("text", "The invoice line's text, copied."),
        "kind": ("text", "Kind of the invoice line credited: plan_base, addon or overage."),
        "deployment_id": ("text", "Deployment of the invoice line credited."),
        "deployment_name": ("text", "Deployment's display name."),
        "resource_kind": ("text", "What the invoice line credited charges for (plan, droplet, volume, ...)."),
        "amount": (UNITS, "Amount credited in currency units (positive);" + _UNITS_NOTE),
        "amount_cents": ("bigint", "Amount credited in integer cents."),
        "created_at": ("timestamp with time zone", "When the note was made (UTC)."),
    }),
    "bi_ar_ageing": ViewDoc(f"Accounts receivable ageing {_TODAY}: what each tenant owes per currency on its issued "
                            "invoices, in buckets of days overdue; one row per tenant and currency that owes "
                            "anything.", {
        "tenant_id": ("text", _TENANT_ID),
        "tenant_name": ("text", "Tenant's display name."),
        "currency": ("text", _CURRENCY),
        "invoices_due": ("bigint", "Issued invoices with an amount due."),
        "max_days_overdue": ("integer", "Days overdue of the oldest of them (0: none is past due)."),
        "amount_due": (UNITS, "Everything due: the sum of the buckets, in currency units;" + _UNITS_NOTE),
        "not_yet_due": (UNITS, "Due on invoices not yet past their due date (current);" + _UNITS_NOTE),
        "days_1_30": (UNITS, "Due on invoices 1 to 30 days overdue;" + _UNITS_NOTE),
        "days_31_60": (UNITS, "Due on invoices 31 to 60 days overdue;" + _UNITS_NOTE),
        "days_61_90": (UNITS, "Due on invoices 61 to 90 days overdue;" + _UNITS_NOTE),
        "days_over_90": (UNITS, "Due on invoices more than 90 days overdue;" + _UNITS_NOTE),
        "amount_due_cents": ("bigint", "Amount due in integer cents."),
        "not_yet_due_cents": ("bigint", "Not yet due, in integer cents."),
        "days_1_30_cents": ("bigint", "1 to 30 days overdue, in integer cents."),
        "days_31_60_cents": ("bigint", "31 to 60 days overdue, in integer cents."),
        "days_61_90_cents": ("bigint", "61 to 90 days overdue, in integer cents."),
        "days_over_90_cents": ("bigint", "More than 90 days overdue, in integer cents."),
    }),
}


def relation_docs(name: str) -> Doc:
    """The description and column descriptions of a table or view."""
    if name in VIEWS:
        description, columns = VIEWS[name]
        return Doc(description, {c: text for c, (_, text) in columns.items()})
    return TABLES[name]


def describe(metadata: sa.MetaData) -> None:
    """Set `comment` on every documented table and column of `metadata`."""
    for table in metadata.tables.values():
        doc = TABLES.get(table.name)
        if doc is None:
            continue
        table.comment = doc.description
        for column in table.columns:
            column.comment = doc.columns.get(column.name)


def write_comments(conn: sa.Connection, clear: bool = False) -> int:
    """`COMMENT ON` (or, with `clear`, remove the comment from) every documented table, view and column
    the PostgreSQL database has, so a migration at any revision can call it; returns how many. Other
    backends have no comments: 0."""
    if not dialect_of(conn).has_comments:
        return 0
    quote = conn.dialect.identifier_preparer.quote

    def literal(text: str) -> str:
        return "NULL" if clear else sa.literal(text, sa.Text).compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}).string

    existing = {table: {c["name"] for c in columns} for (_, table), columns in
                sa.inspect(conn).get_multi_columns(kind=sa.engine.ObjectKind.ANY).items()}
    statements = []
    for name, doc in [*TABLES.items(), *((v, relation_docs(v)) for v in VIEWS)]:
        if name not in existing:
            continue
        statements.append(f"COMMENT ON {'VIEW' if name in VIEWS else 'TABLE'} {quote(name)} IS "
                          f"{literal(doc.description)}")
        statements += [f"COMMENT ON COLUMN {quote(name)}.{quote(column)} IS {literal(text)}"
                       for column, text in doc.columns.items() if column in existing[name]]
    for statement in statements:  # literals escape '%' as '%%', as DDL expects
        conn.execute(sa.DDL(statement))
    return len(statements)
