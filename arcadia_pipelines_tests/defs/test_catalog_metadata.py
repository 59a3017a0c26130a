"""The Dagster catalog shows every table-backed asset's table and columns, each column described."""

import dagster as dg
from sqlalchemy.dialects import postgresql

from arcadia_pipelines.definitions import defs
from arcadia_pipelines.warehouse.column_docs import TABLES, VIEWS
from arcadia_pipelines.warehouse.schema import metadata

# Tables no asset writes: the month-end stages all record bad input in billing_errors, and the
# invoice API writes api_keys; invoice moves draw numbers from invoice_number_sequence and append to
# invoice_events. Their descriptions are PostgreSQL comments (test_column_docs.py).
# Written by the API or by several stages, not materialized by one asset.
NOT_AN_ASSET = {"billing_errors", "api_keys", "invoice_number_sequence", "invoice_events", "credit_notes",
                "credit_note_lines", "credit_note_number_sequence"}
NOT_A_TABLE = {"ar_export"}  # writes files, described by their own metadata
SECOND_TABLES = {"tenant_invoices": "tenant_invoice_lines", "do_inventory": "do_inventory_observations",
                 "cloud_invoices": "cloud_invoice_items", "deployment_usage": "usage_evidence"}


def specs():
    return {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}


def expected_columns(relation):
    if relation in VIEWS:
        return [(name, type_, text) for name, (type_, text) in VIEWS[relation].columns.items()]
    return [(c.name, c.type.compile(dialect=postgresql.dialect()).lower(), TABLES[relation].columns[c.name])
            for c in metadata.tables[relation].columns]


def assert_schema_matches(schema, relation):
    assert isinstance(schema, dg.TableSchema), relation
    assert [(c.name, c.type, c.description) for c in schema.columns] == expected_columns(relation)
    assert all(c.description.strip() for c in schema.columns)


def test_every_asset_names_its_table_and_describes_each_column():
    tables = set()
    for key, spec in specs().items():
        if key in NOT_A_TABLE:
            continue
        table = spec.metadata.get("dagster/table_name")
        assert table, f"{key} has no dagster/table_name"
        assert_schema_matches(spec.metadata["dagster/column_schema"], table)
        tables.add(table)
        if key in SECOND_TABLES:
            other = SECOND_TABLES[key]
            assert spec.metadata["also_writes"] == other
            assert_schema_matches(spec.metadata[f"{other} column schema"], other)
            tables.add(other)
    assert tables == set(metadata.tables) - NOT_AN_ASSET | set(VIEWS)


def test_contract_assets_keep_their_tables_and_the_views_read_theirs():
    by_key = specs()
    assert {key: by_key[key].metadata["dagster/table_name"] for key in (
        "deployment_usage", "deployment_quotes", "tenant_invoices", "cloud_invoices", "cost_vs_revenue",
        "do_inventory", "tenants", "fx_rates")} == {
        "deployment_usage": "deployment_usage", "deployment_quotes": "deployment_quotes",
        "tenant_invoices": "tenant_invoices", "cloud_invoices": "cloud_invoices", "cost_vs_revenue": "cost_vs_revenue",
        "do_inventory": "metered_resources", "tenants": "tenants", "fx_rates": "fx_rates"}
    for view in VIEWS:
        assert by_key[view].group_name == "bi"
    assert {d.asset_key.to_user_string() for d in by_key["bi_cost_vs_revenue"].deps} == {
        "cost_vs_revenue", "tenant_invoices", "tenants", "deployments"}  # its credit notes' invoice lines
    assert {d.asset_key.to_user_string() for d in by_key["bi_ar_ageing"].deps} == {"bi_invoices"}
    assert {d.asset_key.to_user_string() for d in by_key["bi_invoice_lines"].deps} == {
        "tenant_invoices", "tenants", "deployments"}
