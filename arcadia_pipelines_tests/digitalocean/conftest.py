"""A live fake DigitalOcean API on loopback, a fresh secret token, and a client with tiny backoff."""

from __future__ import annotations

import secrets

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
