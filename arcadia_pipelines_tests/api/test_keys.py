"""`arcadia-pipelines api-key create|list|revoke`, and keys never stored in plain text."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from arcadia_pipelines.cli import main
from arcadia_pipelines.warehouse.schema import api_keys


@pytest.fixture
def cli(warehouse_url, monkeypatch, capsys):
    """Run the CLI against the test warehouse: (exit code, stdout, stderr)."""
    monkeypatch.setenv("ARCADIA_WAREHOUSE_URL", warehouse_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def new_key(cli, *argv: str) -> str:
    code, out, _ = cli("api-key", "create", *argv)
    assert code == 0
    return out.strip().splitlines()[-1]


def test_a_created_key_is_the_last_line_and_works_for_its_role(cli, api, ledger):
    ledger.tenant("acme")
    invoice = ledger.invoice("acme")
    tenant_key = new_key(cli, "--role", "tenant", "--tenant", "acme")
    admin_key = new_key(cli, "--role", "platform_admin")
    assert tenant_key.startswith("ak_") and len(tenant_key) >= 40 and tenant_key != admin_key
    assert api.get(f"/api/v1/invoices/{invoice}", tenant_key).status_code == 200
    assert api.post(f"/api/v1/invoices/{invoice}/issue", tenant_key).status_code == 403
    assert api.post(f"/api/v1/invoices/{invoice}/issue", admin_key).status_code == 200


@pytest.mark.parametrize("argv, reason, exit_code", [
    (["--role", "tenant", "--tenant", "nobody"], "unknown tenant 'nobody'", 1),
    (["--role", "tenant"], "needs --tenant", 2),   # usage errors exit 2
    (["--role", "platform_admin", "--tenant", "acme"], "drop --tenant", 2),
])
def test_bad_create_requests_are_refused_and_store_nothing(cli, engine, ledger, argv, reason, exit_code):
    ledger.tenant("acme")
    code, out, err = cli("api-key", "create", *argv)
    assert code == exit_code and out == ""
    assert reason in err and len(err.strip().splitlines()) == 1
    with engine.connect() as c:
        assert c.scalar(sa.select(sa.func.count()).select_from(api_keys)) == 0


def test_list_shows_keys_without_revealing_them_and_revoke_locks_one_out(cli, api, ledger):
    ledger.tenant("acme")
    admin_key = new_key(cli, "--role", "platform_admin")
    tenant_key = new_key(cli, "--role", "tenant", "--tenant", "acme")
    code, listing, _ = cli("api-key", "list")
    assert code == 0
    assert admin_key[:9] in listing and tenant_key[:9] in listing and "acme" in listing
    assert admin_key not in listing and tenant_key not in listing
    code, out, _ = cli("api-key", "revoke", "2")
    assert code == 0 and out.startswith("api key 2 revoked at ")
    assert api.get("/api/v1/invoices", tenant_key).status_code == 401
    assert api.get("/api/v1/invoices", admin_key).status_code == 200
    rows = {ln.split()[0]: ln.split() for ln in cli("api-key", "list")[1].splitlines()[1:]}
    assert rows["1"][-1] == "-" and rows["2"][-1] == out.split()[-1]  # revoked_at, only for key 2
    assert "already revoked" in cli("api-key", "revoke", "2")[1]
    code, _, err = cli("api-key", "revoke", "99")
    assert code == 1 and "no api key with id 99" in err


def test_keys_appear_nowhere_in_the_warehouse(cli, api, engine, ledger):
    ledger.tenant("acme")
    invoice = ledger.invoice("acme")
    keys = [new_key(cli, "--role", "platform_admin"), new_key(cli, "--role", "tenant", "--tenant", "acme")]
    api.post(f"/api/v1/invoices/{invoice}/issue", keys[0])
    api.get(f"/api/v1/invoices/{invoice}", keys[1])
    cli("api-key", "revoke", "1")
    everything = sa.MetaData()
    everything.reflect(engine)
    stored = []
    with engine.connect() as c:
        for table in everything.sorted_tables:
            stored += [str(v) for row in c.execute(sa.select(table)) for v in row if v is not None]
        prefixes = set(c.scalars(sa.select(api_keys.c.key_prefix)))
    assert prefixes == {k[:9] for k in keys}
    for key in keys:
        secret = key[9:]  # what the shown prefix leaves out
        assert not [v for v in stored if key in v or secret in v or secret[:16] in v]
