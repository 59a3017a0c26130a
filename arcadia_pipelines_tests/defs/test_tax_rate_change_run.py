"""A tax rate changed after a month was invoiced: re-runs and `force` still succeed with every check
passing, because each invoice keeps the tax it applied."""

from datetime import date
from decimal import Decimal

import dagster as dg
import pytest
import sqlalchemy as sa

from arcadia_pipelines.api.invoices_repo import get_invoice, move
from arcadia_pipelines.api.keys import Principal
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, rows

from .runs import evaluations, run, run_drift

FORCE = {"ops": {"tenant_invoices": {"config": {"force": True}}}}
ADMIN = Principal(key_id=0, role="platform_admin", tenant_id=None)
SHIPPED_GST = (t.tax_rates.c.country == "AU", t.tax_rates.c.effective_from == date(2000, 7, 1))

# how the AU rate changes after April is invoiced -> the name, rate, tax line and tax (on 64.22) it gives
CHANGES = {
    "shipped row updated": ("GST", "0.15", "GST 15%", 963),  # 963.3
    "new version before the month": ("Goods and Services Tax", "0.125", "Goods and Services Tax 12.5%", 803),  # 802.75
}


@pytest.fixture
def shipped_gst(engine):
    """Puts the shipped AU row back: the PostgreSQL test database is shared by the session."""
    yield
    with engine.begin() as c:
        c.execute(sa.update(t.tax_rates).where(*SHIPPED_GST).values(name="GST", rate=Decimal("0.10")))


def change_au_rate(engine, how: str) -> None:
    name, rate, _, _ = CHANGES[how]
    with engine.begin() as c:
        if how == "shipped row updated":
            c.execute(sa.update(t.tax_rates).where(*SHIPPED_GST).values(rate=Decimal(rate)))
        else:
            c.execute(sa.insert(t.tax_rates).values(country="AU", effective_from=date(2026, 1, 1), name=name,
                                                    rate=Decimal(rate)))


def invoiced_april(engine, instance) -> dict[str, dict]:
    """pilot (draft) and settled (issued) in AU, kiwi in NZ (no rate), all invoiced at 10%."""
    World(engine).worked_example("pilot").example_tenant("settled").example_tenant("kiwi", country="NZ")
    assert run(instance).success
    by_tenant = {i["tenant_id"]: i for i in rows(engine, t.tenant_invoices)}
    move(engine, ADMIN, by_tenant["settled"]["id"], "issue")
    return {i["tenant_id"]: i for i in rows(engine, t.tenant_invoices)}


def tax_line(engine, invoice_id):
    [line] = rows(engine, t.tenant_invoice_lines, invoice_id=invoice_id, kind="tax")
    return line["description"], line["quantity"], line["amount_cents"]


def assert_every_check_passed(result):
    checks = {e.check_name: e for e in evaluations(result)}
    assert checks and not [name for name, e in checks.items() if not e.passed]


def assert_drift_names_only(instance, draft: dict):
    """The drift check (a warning) names exactly `draft`, kept at the old rate by a plain re-run, by its tax alone."""
    [drift] = [e for e in evaluations(run_drift(instance)) if e.check_name == "invoices_match_current_data"]
    assert (drift.passed, drift.severity, drift.metadata["drifted_invoices"].value) == (
        False, dg.AssetCheckSeverity.WARN, 1)
    assert f"| {draft['id']} | {draft['tenant_id']} | draft |" in drift.metadata["worst_first"].value
    assert "| tax only | draft: re-run with force" in drift.metadata["worst_first"].value


def test_invoices_keep_the_tax_they_applied(engine, instance):
    before = invoiced_april(engine, instance)
    pilot, kiwi = before["pilot"], before["kiwi"]
    assert (pilot["tax_name"], pilot["tax_rate"], pilot["tax_cents"]) == ("GST", Decimal("0.1"), 642)
    assert (kiwi["tax_name"], kiwi["tax_rate"], kiwi["tax_cents"]) == (None, None, 0)
    with engine.connect() as c:  # the API shows them, the rate as an exact decimal string
        shown = get_invoice(c, ADMIN, pilot["id"])
    assert (shown["tax_name"], shown["tax_rate"]) == ("GST", "0.1")


@pytest.mark.parametrize("how", CHANGES)
def test_a_rerun_after_a_rate_change_keeps_every_invoice_and_passes_its_checks(engine, instance, shipped_gst, how):
    before = invoiced_april(engine, instance)
    lines = rows(engine, t.tenant_invoice_lines, order_by="id")
    change_au_rate(engine, how)

    again = run(instance)

    assert again.success
    assert_every_check_passed(again)
    assert_drift_names_only(instance, before["pilot"])
    assert {i["tenant_id"]: i for i in rows(engine, t.tenant_invoices)} == before
    assert rows(engine, t.tenant_invoice_lines, order_by="id") == lines


@pytest.mark.parametrize("how", CHANGES)
def test_force_after_a_rate_change_recomputes_drafts_at_the_new_rate_and_keeps_issued_ones(
        engine, instance, shipped_gst, how):
    before = invoiced_april(engine, instance)
    change_au_rate(engine, how)
    name, rate, description, tax = CHANGES[how]

    forced = run(instance, run_config=FORCE)

    assert forced.success
    assert_every_check_passed(forced)
    after = {i["tenant_id"]: i for i in rows(engine, t.tenant_invoices)}
    pilot, settled = after["pilot"], after["settled"]
    assert (pilot["id"], pilot["status"]) == (before["pilot"]["id"], "draft")
    assert (pilot["tax_name"], pilot["tax_rate"], pilot["tax_cents"], pilot["total_cents"]) == (
        name, Decimal(rate), tax, 6422 + tax)
    assert tax_line(engine, pilot["id"]) == (description, Decimal(rate), tax)
    assert settled == before["settled"]
    assert tax_line(engine, settled["id"]) == ("GST 10%", Decimal("0.1"), 642)
    assert after["kiwi"]["tax_rate"] is None and after["kiwi"]["tax_cents"] == 0
    with engine.connect() as c:
        assert get_invoice(c, ADMIN, pilot["id"])["tax_rate"] == rate
        assert get_invoice(c, ADMIN, settled["id"])["tax_rate"] == "0.1"
