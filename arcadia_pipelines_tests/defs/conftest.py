import dagster as dg
import pytest


@pytest.fixture
def instance(warehouse_url, monkeypatch):
    """An ephemeral Dagster instance whose runs write to this test's warehouse."""
    monkeypatch.setenv("ARCADIA_WAREHOUSE_URL", warehouse_url)
    with dg.instance_for_test() as instance:
        yield instance
