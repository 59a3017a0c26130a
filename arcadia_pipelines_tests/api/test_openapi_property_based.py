"""The OpenAPI document is the truth: schemathesis, driven by /api/v1/openapi.json, sends generated
valid and invalid requests to a real server with an admin key and a tenant key, on both backends,
and reports nothing (every check: no 5xx, answers conform to the document, valid requests are
accepted, invalid ones refused, undeclared methods answered 405 with `Allow`, keys required).

The warehouse holds what a finance team has after a month: drafts, issued, paid and void invoices
with numbers, and credit notes of both purposes, so the routes have something to find. A fixed
seed and a bounded number of examples keep it repeatable and to about a minute per run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from arcadia_pipelines.api.keys import create_key
from arcadia_pipelines_tests.builders import World
from arcadia_pipelines_tests.monthend.rollup import rollup

pytestmark = pytest.mark.slow

SEED, MAX_EXAMPLES = 20261204, 30
TENANTS = ("pilot", "switch", "rival", "quiet")
SCHEMATHESIS = Path(sys.executable).with_name("st")


def month_of_finance(engine, api, admin: str) -> int:
    """April 2026 invoiced, then: pilot's invoice issued, paid and partly credited (a correction),
    switch's issued and credited in full (goodwill), rival's voided, quiet's left a draft (its id
    returned)."""
    world = World(engine).worked_example(TENANTS[0]).tax_rate("AU", "0.1", "GST 10%")
    for tenant in TENANTS[1:]:
        world.example_tenant(tenant)
    rollup(engine)
    ids = {i["tenant_id"]: i["id"] for i in api.get("/api/v1/invoices", admin).json()["data"]}

    def post(path: str, body: dict | None = None) -> dict:
        r = api.http.post(path, json=body, headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code in (200, 201), r.text
        return r.json()["data"]

    for tenant, moves in (("pilot", ("issue", "pay")), ("switch", ("issue",)), ("rival", ("void",))):
        for name in moves:
            post(f"/api/v1/invoices/{ids[tenant]}/{name}")
    plan_line = next(ln["id"] for ln in api.get(f"/api/v1/invoices/{ids['pilot']}", admin).json()["data"]["lines"]
                     if ln["kind"] == "plan_base")
    post(f"/api/v1/invoices/{ids['pilot']}/credit_notes",
         {"reason": "plan billed twice", "lines": [{"line_id": plan_line, "amount_cents": 1000}]})
    post(f"/api/v1/invoices/{ids['switch']}/credit_notes", {"reason": "outage in week two", "purpose": "goodwill"})
    return ids["quiet"]


def config_file(tmp_path: Path, draft_id: int) -> Path:
    """Generated ids rarely exist, and every existing invoice but one draft is past voiding: the
    void route is given that draft, so that it is seen serving a valid request too."""
    path = tmp_path / "schemathesis.toml"
    path.write_text('[[operations]]\ninclude-path = "/api/v1/invoices/{id}/void"\n'
                    f"parameters = {{ id = {draft_id} }}\n")
    return path


def schemathesis_run(base_url: str, key: str, config: Path, *options: str) -> tuple[subprocess.CompletedProcess,
                                                                                   float]:
    started = time.monotonic()
    done = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{base_url}/api/v1/openapi.json",
         "-H", f"Authorization: Bearer {key}",
         "--checks", "all", "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--workers", "1",
         "--generation-database", "none", "--no-color", "--request-timeout", "30", *options],
        capture_output=True, text=True, timeout=600, cwd=config.parent)  # its caches stay out of the repository
    return done, time.monotonic() - started


@pytest.mark.parametrize("role", ["platform_admin", "tenant"])
def test_schemathesis_with_all_checks_reports_nothing(api, engine, monkeypatch, tmp_path, role):
    monkeypatch.setenv("ARCADIA_SUPPLIER_NAME", "Arcadia Cloud Pty Ltd")
    monkeypatch.setenv("ARCADIA_SUPPLIER_ABN", "12 345 678 901")
    admin = create_key(engine, "platform_admin")[1]
    draft_id = month_of_finance(engine, api, admin)
    key = admin if role == "platform_admin" else create_key(engine, "tenant", "pilot")[1]
    # every POST is for admin keys (a tenant key's 403 there is test_access.py's)
    only_reads = ("--exclude-method", "POST") if role == "tenant" else ()

    done, seconds = schemathesis_run(api.base_url, key, config_file(tmp_path, draft_id), *only_reads)

    summary = done.stdout[done.stdout.rfind("SUMMARY"):] or done.stdout[-3000:]
    print(f"schemathesis ({role}, {engine.dialect.name}): {seconds:.0f} s\n{summary}")
    assert done.returncode == 0, done.stdout[-12000:] + done.stderr[-3000:]
    assert "No issues found" in done.stdout, summary
