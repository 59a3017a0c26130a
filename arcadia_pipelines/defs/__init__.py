"""Dagster definitions, one folder per domain; each asset is a thin shell over `warehouse`."""
