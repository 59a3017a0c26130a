"""The BI views on SQLite and PostgreSQL: names joined in, amounts in currency units as numbers
(exact NUMERIC on PostgreSQL, REAL on SQLite beside the exact integer cents)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from arcadia_pipelines.monthend.cost_vs_revenue import write_cost_vs_revenue
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.column_docs import VIEWS
from arcadia_pipelines_tests.builders import World
from arcadia_pipelines_tests.monthend.rollup import APRIL, rollup
from arcadia_pipelines_tests.monthend.test_cost_vs_revenue import april_bill, fx


def view(engine, name, order_by):
    with engine.connect() as c:
        return [dict(r) for r in c.exec_driver_sql(f"SELECT * FROM {name} ORDER BY {order_by}").mappings()]


def units(engine, value):
    """What a BI tool reads for an amount in currency units: NUMERIC with two places on PostgreSQL,
    on SQLite a REAL that prints as the exact amount; a number, never text."""
    if value is None:
        return None
    if engine.dialect.name == "postgresql":
        assert isinstance(value, Decimal) and value.as_tuple().exponent == -2, value
        return value
    assert isinstance(value, float), value
    return Decimal(repr(value)).quantize(Decimal("0.01"))


def test_the_worked_example_reads_with_its_tenant_name_and_exact_amounts(engine):
    World(engine).worked_example()
    rollup(engine)
    [inv] = view(engine, "bi_invoices", "invoice_id")
    assert (inv["tenant_id"], inv["tenant_name"], inv["tenant_country"], inv["period"]) == ("pilot", "Pilot", "AU",
                                                                                            "2026-04")
    assert (str(inv["period_start"]), str(inv["period_end"]), inv["status"], inv["currency"]) == (
        "2026-04-01", "2026-05-01", "draft", "AUD")
    assert [units(engine, inv[k]) for k in ("subtotal", "tax", "total")] == [
        Decimal("64.22"), Decimal("6.42"), Decimal("70.64")]
    assert [str(inv[k]) for k in ("subtotal", "tax", "total")] == ["64.22", "6.42", "70.64"]
    assert (inv["subtotal_cents"], inv["tax_cents"], inv["total_cents"]) == (6422, 642, 7064)
    assert (inv["tax_name"], Decimal(str(inv["tax_rate"]))) == ("GST", Decimal("0.1"))

    lines = view(engine, "bi_invoice_lines", "line_no")
    assert [(ln["kind"], ln["description"], units(engine, ln["amount"])) for ln in lines] == [
        ("plan_base", "Plan: Studio (full month)", Decimal("50.00")),
        ("addon", "Addon: storage_50gb", Decimal("7.50")),
        ("overage", "Overage: droplet_hours (2160 used, 1488 included)", Decimal("6.72")),
        ("tax", "GST 10%", Decimal("6.42"))]
    assert {(ln["tenant_name"], ln["period"], ln["invoice_status"], ln["currency"], ln["invoice_id"])
            for ln in lines} == {("Pilot", "2026-04", "draft", "AUD", inv["invoice_id"])}
    assert [ln["deployment_name"] for ln in lines] == ["dep-pilot"] * 3 + [None]
    assert Decimal(str(lines[2]["quantity"])) == 672 and Decimal(str(lines[3]["unit_price_cents"])) == 6422


def test_cost_vs_revenue_reads_with_names_and_unattributed_cost_on_no_tenant(engine):
    World(engine).worked_example()
    rollup(engine)
    april_bill(engine)
    fx(engine, "USD", "AUD", "1.5")
    write_cost_vs_revenue(engine, APRIL, "AUD")
    rows = {r["resource_kind"]: r for r in view(engine, "bi_cost_vs_revenue", "resource_kind")}
    amounts = ("revenue", "cost", "cost_in_revenue_currency", "margin")
    assert {kind: (r["tenant_name"], r["deployment_name"], r["period"], r["revenue_currency"], r["cost_currency"],
                   *(units(engine, r[a]) for a in amounts)) for kind, r in rows.items()} == {
        "droplet": ("Pilot", "dep-pilot", "2026-04", "AUD", "USD", Decimal("6.72"), Decimal("72.00"),
                    Decimal("108.00"), Decimal("-101.28")),
        "plan": ("Pilot", "dep-pilot", "2026-04", "AUD", None, Decimal("50.00"), Decimal("0.00"), Decimal("0.00"),
                 Decimal("50.00")),
        "volume": ("Pilot", "dep-pilot", "2026-04", "AUD", "USD", Decimal("7.50"), Decimal("5.00"), Decimal("7.50"),
                   Decimal("0.00")),
        "load_balancer": (None, None, "2026-04", "AUD", "USD", Decimal("0.00"), Decimal("12.00"), Decimal("18.00"),
                          Decimal("-18.00")),
    }
    assert sum(units(engine, r["revenue"]) for r in rows.values()) == Decimal("64.22")  # tax excluded


def test_amounts_keep_sign_small_values_and_the_cents_every_digit(engine):
    margins = [-5, 5, 0, -100, None, 900719925474099301, -900719925474099301]
    with engine.begin() as c:
        c.execute(sa.insert(t.cost_vs_revenue), [
            {"period_start": date(2026, 4, 1), "tenant_id": None, "deployment_id": None, "resource_kind": str(n),
             "revenue_cents": 0, "cost_cents": 0, "margin_cents": m} for n, m in enumerate(margins)])
    rows = view(engine, "bi_cost_vs_revenue", "resource_kind")
    assert [units(engine, r["margin"]) for r in rows][:5] == [
        Decimal("-0.05"), Decimal("0.05"), Decimal("0.00"), Decimal("-1.00"), None]
    assert [r["margin_cents"] for r in rows] == margins  # exact on every backend
    if engine.dialect.name == "postgresql":  # NUMERIC keeps digits a float cannot hold
        assert [str(r["margin"]) for r in rows][-2:] == ["9007199254740993.01", "-9007199254740993.01"]


def test_the_views_exist_with_their_documented_columns(engine):
    inspector = sa.inspect(engine)
    assert sorted(inspector.get_view_names()) == sorted(VIEWS) == [
        "bi_ar_ageing", "bi_cost_vs_revenue", "bi_credit_note_lines", "bi_credit_notes", "bi_invoice_lines",
        "bi_invoices"]
    for name, doc in VIEWS.items():
        columns = inspector.get_columns(name)
        assert [c["name"] for c in columns] == list(doc.columns), name
        if engine.dialect.name == "postgresql":  # the types the docs and the Dagster catalog state
            assert {c["name"]: c["type"].compile(dialect=postgresql.dialect()).lower() for c in columns} == {
                column: type_ for column, (type_, _) in doc.columns.items()}, name
