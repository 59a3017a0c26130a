"""The invoice API served for real: uvicorn on a free loopback port, on each warehouse backend."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from arcadia_pipelines.api.app import create_app
from arcadia_pipelines.api.keys import create_key
from arcadia_pipelines.api.server import server_config
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.schema import tenant_invoice_lines, tenant_invoices, tenants

NOW = datetime(2026, 5, 1, 3, 0, tzinfo=timezone.utc)


class Ledger:
    """Tenants and invoices written straight into the warehouse's output tables."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def tenant(self, tenant_id: str) -> str:
        with self.engine.begin() as c:
            c.execute(sa.insert(tenants), {"id": tenant_id, "name": tenant_id.title(), "country": "AU"})
        return tenant_id

    def invoice(self, tenant_id: str, period: str = "2026-04", status: str = "draft", subtotal: int = 6422) -> int:
        """An invoice with a plan line, a fractional overage line and a tax line, written in
        reverse line order so the API has to sort them."""
        p = Period.parse(period)
        tax = subtotal // 10
        with self.engine.begin() as c:
            invoice_id = c.scalar(sa.insert(tenant_invoices).returning(tenant_invoices.c.id), {
                "tenant_id": tenant_id, "period_start": p.start, "period_end": p.end, "currency": "AUD",
                "subtotal_cents": subtotal, "tax_cents": tax, "total_cents": subtotal + tax, "status": status,
                "created_at": NOW, "updated_at": NOW, "tax_name": "GST", "tax_rate": Decimal("0.1")})
            c.execute(sa.insert(tenant_invoice_lines), [
                {"invoice_id": invoice_id, "line_no": 3, "kind": "tax", "deployment_id": None,
                 "subscription_id": None, "resource_kind": None, "meter": None, "description": "GST 10%",
                 "quantity": Decimal("0.1"), "unit_price_cents": Decimal(subtotal), "amount_cents": tax},
                {"invoice_id": invoice_id, "line_no": 2, "kind": "overage", "deployment_id": f"dep-{tenant_id}",
                 "subscription_id": f"sub-{tenant_id}", "resource_kind": "droplet", "meter": "droplet_hours",
                 "description": "droplet_hours overage", "quantity": Decimal("2844.5"),
                 "unit_price_cents": Decimal("0.25"), "amount_cents": subtotal - 5000},
                {"invoice_id": invoice_id, "line_no": 1, "kind": "plan_base", "deployment_id": f"dep-{tenant_id}",
                 "subscription_id": f"sub-{tenant_id}", "resource_kind": "plan", "meter": None,
                 "description": "Plan: studio", "quantity": Decimal(1), "unit_price_cents": Decimal(5000),
                 "amount_cents": 5000},
            ])
        return invoice_id

    def status(self, invoice_id: int) -> str:
        with self.engine.connect() as c:
            return c.scalar(sa.select(tenant_invoices.c.status).where(tenant_invoices.c.id == invoice_id))


class Api:
    """HTTP against the running server, as a given key."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def get(self, path: str, key: str | None = None, **params) -> httpx.Response:
        return self.http.get(path, params=params or None, headers=_auth(key))

    def post(self, path: str, key: str | None = None) -> httpx.Response:
        return self.http.post(path, headers=_auth(key))


def _auth(key: str | None) -> dict:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def ledger(engine) -> Ledger:
    return Ledger(engine)


@contextlib.contextmanager
def serve(engine: sa.Engine):
    """uvicorn serving create_app(engine) in a thread, on a free loopback port, configured as `api` serves."""
    sock = _free_socket()
    server = uvicorn.Server(server_config(create_app(engine), log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.02)
    client = Api(f"http://127.0.0.1:{sock.getsockname()[1]}")
    try:
        yield client
    finally:
        client.http.close()
        server.should_exit = True
        thread.join(15)
        sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def api_command(env: dict, log_path: Path):
    """`arcadia-pipelines api` as users run it, in a process of its own on a free loopback port with
    `env`, its output in `log_path`: a client once it answers; terminated on the way out."""
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "arcadia-pipelines"), "api", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.1)
        client = Api(base)
        client.pid = proc.pid
        yield client
        client.http.close()
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture
def api(engine):
    with serve(engine) as client:
        yield client


@pytest.fixture
def keys(engine, ledger):
    """An admin key and keys for tenants `acme` and `globex` (both tenants exist)."""
    ledger.tenant("acme")
    ledger.tenant("globex")
    return {"admin": create_key(engine, "platform_admin")[1],
            "acme": create_key(engine, "tenant", "acme")[1],
            "globex": create_key(engine, "tenant", "globex")[1]}
