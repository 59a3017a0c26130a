"""Source tables the platform writes, as external assets so the UI shows lineage."""

import dagster as dg

_DESCRIPTIONS = {
    "tenants": "Tenants (id, name, country). Written by the platform.",
    "deployments": "Deployments and their DigitalOcean tag (`do_tag`). Written by the platform.",
    "plans": "Price-book versions of plans (base price, currency).",
    "plan_meters": "Per-plan meter allowances and overage prices, versioned with the plan.",
    "addons": "Price-book versions of addons.",
    "subscriptions": "A deployment's plan over [started_at, ended_at).",
    "subscription_addons": "Addons on a subscription, with quantity.",
    "tax_rates": "Tax rate per country, versioned (ships AU GST 10%).",
    "fx_rates": "Monthly FX rates: 1 base_currency = rate quote_currency.",
}

source_tables = [
    dg.AssetSpec(name, description=text, group_name="sources", kinds={"sql"},
                 owners=["team:platform"])
    for name, text in _DESCRIPTIONS.items()
]
