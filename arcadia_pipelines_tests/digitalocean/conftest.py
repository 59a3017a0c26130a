"""A live fake DigitalOcean API on loopback, a fresh secret token, a client with tiny backoff, and a
throw-away Dagster instance pointed at the fake API whose files the tests can search."""

from __future__ import annotations

import secrets

import dagster as dg
import pytest

from arcadia_pipelines.devtools import DoApiServer
from arcadia_pipelines.digitalocean import DigitalOceanClient


@pytest.fixture
def token() -> str:
    return f"dop_v1_{secrets.token_hex(32)}"


@pytest.fixture
def do_server(token):
    with DoApiServer(token=token) as server:
        yield server


@pytest.fixture
def client(do_server, token) -> DigitalOceanClient:
    return DigitalOceanClient(token, do_server.url, timeout=5, retry_backoff_factor=0.01)


@pytest.fixture
def instance_dir(tmp_path):
    return tmp_path / "dagster_home"


@pytest.fixture
def instance(warehouse_url, do_server, token, instance_dir, monkeypatch):
    monkeypatch.setenv("ARCADIA_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", token)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", do_server.url)
    instance_dir.mkdir()
    with dg.instance_for_test(temp_dir=str(instance_dir)) as instance:
        yield instance
