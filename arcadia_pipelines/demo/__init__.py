"""The embedded demo: a SQLite warehouse with sample tenants, run through Dagster."""
