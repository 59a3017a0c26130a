"""Each invoice keeps the tax it applied (`tax_name`, `tax_rate`): backfilled by migration 0006
for invoices written before it, and what `tax_follows_the_rule` judges invoices against."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command

from arcadia_pipelines.monthend.audits import WrongTax, wrong_tax
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.warehouse.migrate import alembic_config, upgrade
from arcadia_pipelines_tests.builders import World, rows

from .rollup import APRIL, rollup

NOW = datetime(2026, 5, 1, 3, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated(request, tmp_path):
    """An engine on an empty database of each backend, not migrated yet."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_admin")("before_0006")
    engine = create_warehouse_engine(url)
    yield engine
    engine.dispose()


def _old_invoice(c, tenant, country, subtotal, tax_line=None):
    """An invoice as versions before 0006 wrote it: amounts and lines, nothing about the rate."""
    c.execute(sa.insert(t.tenants).values(id=tenant, name=tenant, country=country))
    tax = tax_line[2] if tax_line else 0
    invoice_id = c.execute(sa.insert(t.tenant_invoices).values(
        tenant_id=tenant, period_start=APRIL.start, period_end=APRIL.end, currency="AUD", subtotal_cents=subtotal,
        tax_cents=tax, total_cents=subtotal + tax, status="issued", created_at=NOW, updated_at=NOW,
        issued_at=NOW).returning(t.tenant_invoices.c.id)).scalar_one()
    lines = [dict(kind="plan_base", description="Plan: Studio (full month)", quantity=Decimal(1),
                  unit_price_cents=Decimal(subtotal), amount_cents=subtotal)]
    if tax_line:
        description, rate, amount = tax_line
        lines.append(dict(kind="tax", description=description, quantity=Decimal(rate),
                          unit_price_cents=Decimal(subtotal), amount_cents=amount))
    c.execute(sa.insert(t.tenant_invoice_lines), [
        dict(invoice_id=invoice_id, line_no=n, deployment_id=None, subscription_id=None, resource_kind=None,
             meter=None, **line) for n, line in enumerate(lines, 1)])


def test_upgrading_backfills_each_invoice_s_tax_from_its_tax_line(unmigrated):
    with unmigrated.begin() as c:
        command.upgrade(alembic_config(c), "0005")
        _old_invoice(c, "pilot", "AU", 6422, ("GST 10%", "0.1", 642))
        _old_invoice(c, "harbour", "AU", 10001, ("Goods and Services Tax 12.5%", "0.125", 1250))
        _old_invoice(c, "kiwi", "NZ", 5000)
    upgrade(unmigrated)

    applied = {i["tenant_id"]: (i["tax_name"], i["tax_rate"]) for i in rows(unmigrated, t.tenant_invoices)}
    assert applied == {"pilot": ("GST", Decimal("0.1")),
                       "harbour": ("Goods and Services Tax", Decimal("0.125")),
                       "kiwi": (None, None)}
    with unmigrated.begin() as c:  # today's rate is not what these invoices are judged by
        c.execute(sa.update(t.tax_rates).values(rate=Decimal("0.15")))
        assert wrong_tax(c, APRIL) == []


def _tax_line(c, **values):
    c.execute(sa.update(t.tenant_invoice_lines).where(t.tenant_invoice_lines.c.kind == "tax").values(**values))


@pytest.mark.parametrize("breaks, found", [
    (lambda c: c.execute(sa.update(t.tenant_invoices).values(tax_rate=Decimal("0.15"))),
     WrongTax("pilot", 642, 963)),
    (lambda c: c.execute(sa.update(t.tenant_invoices).values(tax_rate=None, tax_name=None)),
     WrongTax("pilot", 642, 0)),
    (lambda c: _tax_line(c, description="VAT 10%"),
     WrongTax("pilot", "tax line 'VAT 10%' at 0.1", "tax line 'GST 10%' at 0.1")),
    (lambda c: c.execute(sa.update(t.tenant_invoices).values(tax_name="VAT")),
     WrongTax("pilot", "tax line 'GST 10%' at 0.1", "tax line 'VAT 10%' at 0.1")),
])
def test_the_tax_check_judges_each_invoice_by_the_tax_it_applied(engine, breaks, found):
    World(engine).worked_example()
    rollup(engine)
    with engine.begin() as c:
        assert wrong_tax(c, APRIL) == []
        breaks(c)
        assert wrong_tax(c, APRIL) == [found]


def test_an_untaxed_invoice_has_no_tax_line(engine):
    World(engine).worked_example().example_tenant("kiwi", country="NZ")
    rollup(engine)
    [kiwi] = rows(engine, t.tenant_invoices, tenant_id="kiwi")
    assert (kiwi["tax_name"], kiwi["tax_rate"], kiwi["tax_cents"]) == (None, None, 0)
    with engine.begin() as c:
        c.execute(sa.insert(t.tenant_invoice_lines).values(
            invoice_id=kiwi["id"], line_no=9, kind="tax", description="GST 0%", quantity=0, unit_price_cents=0,
            amount_cents=0))
        assert wrong_tax(c, APRIL) == [WrongTax("kiwi", "tax line 'GST 0%' at 0", "no tax line")]


@pytest.mark.parametrize("rate, says", [("-0.15", "negative"), ("fifteen", "not a number")])
def test_a_bad_tax_rate_fails_only_the_tenants_it_would_tax(engine, rate, says):
    World(engine).worked_example("pilot").example_tenant("kiwi", country="NZ")
    with engine.begin() as c:
        if rate == "fifteen" and c.dialect.name != "sqlite":
            pytest.skip("only SQLite keeps text in a numeric column")
        c.exec_driver_sql(f"INSERT INTO tax_rates VALUES ('NZ', '2000-01-01', 'GST', '{rate}')")

    result = rollup(engine)

    assert [(e.tenant_id, e.rule) for e in result.errors] == [("kiwi", "invalid_tax_rate")]
    assert "'NZ'" in str(result.errors[0]) and says in str(result.errors[0])
    assert [(i["tenant_id"], i["tax_cents"]) for i in rows(engine, t.tenant_invoices)] == [("pilot", 642)]
    assert [(e["stage"], e["tenant_id"], e["rule"]) for e in rows(engine, t.billing_errors)] == [
        ("invoices", "kiwi", "invalid_tax_rate")]
