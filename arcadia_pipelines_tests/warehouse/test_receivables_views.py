"""What a finance analyst asks the BI views, answered on the demo and on a generated month with
credit notes, on SQLite and PostgreSQL: what is overdue and by how many days, how much each tenant
owes (ageing buckets), revenue net of corrections; read by pandas and SQLAlchemy as numbers, and
summing to the warehouse's cents."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command

from arcadia_pipelines.billing.credit_notes import LineCredit
from arcadia_pipelines.demo.seed import seed
from arcadia_pipelines.monthend.cost_vs_revenue import write_cost_vs_revenue
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.column_docs import UNITS, VIEWS
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.migrate import alembic_config, upgrade
from arcadia_pipelines_tests.builders import World, rows
from arcadia_pipelines_tests.monthend.rollup import APRIL, rollup
from arcadia_pipelines_tests.monthend.test_cost_vs_revenue import april_bill, fx


def now() -> datetime:
    """The clock the views read their "today" from (read when used, so a run across midnight agrees)."""
    return datetime.now(timezone.utc)

TERMS = 14  # days; no tenant here sets payment_terms_days
# days overdue today of each tenant's invoice -> the ageing bucket it lands in
AGES = {"current": (0, "not_yet_due"), "late": (10, "days_1_30"), "later": (45, "days_31_60"),
        "old": (75, "days_61_90"), "ancient": (120, "days_over_90")}
BUCKETS = ["not_yet_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90"]


def ids(engine) -> dict[str, int]:
    with engine.connect() as c:
        return dict(c.execute(sa.select(t.tenant_invoices.c.tenant_id, t.tenant_invoices.c.id)).all())


def issue(c, invoice_id, days_overdue):
    """Issue the invoice so that today it is `days_overdue` days past its due date."""
    apply_move(c, invoice_id, "issue", now() - timedelta(days=TERMS + days_overdue))


def line_id(c, invoice_id, kind):
    ln = t.tenant_invoice_lines
    return c.scalar(sa.select(ln.c.id).where(ln.c.invoice_id == invoice_id, ln.c.kind == kind))


def view(engine, name, order_by):
    with engine.connect() as c:
        return [dict(r) for r in c.exec_driver_sql(f"SELECT * FROM {name} ORDER BY {order_by}").mappings()]


def cents(amount) -> int:
    """An amount the view gives in currency units, in cents (it must be a number)."""
    assert not isinstance(amount, str), amount
    return round(amount * 100)


def expected_receivables(engine) -> tuple[dict[int, dict], dict[tuple[str, str], dict[str, int]]]:
    """From the tables: each invoice's credited, balance, amount due and days overdue today, and what
    each tenant owes per currency in each bucket."""
    credited = defaultdict(int)
    for note in rows(engine, t.credit_notes):
        credited[note["invoice_id"]] += note["total_cents"]
    invoices, ageing = {}, defaultdict(lambda: dict.fromkeys(BUCKETS, 0))
    for i in rows(engine, t.tenant_invoices):
        balance = i["total_cents"] - credited[i["id"]]
        due = balance if i["status"] == "issued" else 0
        days = max((now().date() - i["due_at"].date()).days, 0) if due > 0 else None
        invoices[i["id"]] = {"number": i["number"], "status": i["status"], "credited_cents": credited[i["id"]],
                             "balance_cents": balance, "amount_due_cents": due, "days_overdue": days}
        if due > 0:
            bucket = BUCKETS[0] if days == 0 else BUCKETS[min((days - 1) // 30 + 1, 4)]
            ageing[(i["tenant_id"], i["currency"])][bucket] += due
    return invoices, ageing


def assert_receivables_match_the_tables(engine):
    want_invoices, want_ageing = expected_receivables(engine)
    got = {r["invoice_id"]: r for r in view(engine, "bi_invoices", "invoice_id")}
    assert {i: {k: got[i][k] for k in ("number", "status", "credited_cents", "balance_cents", "amount_due_cents",
                                       "days_overdue")} for i in got} == want_invoices
    for r in got.values():
        assert [cents(r[k]) for k in ("credited", "balance", "amount_due")] == [
            r["credited_cents"], r["balance_cents"], r["amount_due_cents"]]
    ageing = {(r["tenant_id"], r["currency"]): r for r in view(engine, "bi_ar_ageing", "tenant_id")}
    assert {key: {b: r[f"{b}_cents"] for b in BUCKETS} for key, r in ageing.items()} == want_ageing
    for r in ageing.values():
        assert r["amount_due_cents"] == sum(r[f"{b}_cents"] for b in BUCKETS)
        assert [cents(r[b]) for b in ["amount_due", *BUCKETS]] == [r[f"{b}_cents"] for b in ["amount_due", *BUCKETS]]


def assert_read_as_numbers_that_sum_to_the_cents(engine):
    """pandas read_sql and SQLAlchemy reflection read every amount as a number; the amounts of a view
    sum to its integer cents, to the cent."""
    for name, doc in VIEWS.items():
        amounts = [c for c, (type_, _) in doc.columns.items() if type_ == UNITS]
        df = pd.read_sql(f"SELECT * FROM {name}", engine)
        for column in amounts:
            if df[column].notna().any():
                assert pd.api.types.is_numeric_dtype(df[column]), (name, column, df[column].dtype)
                assert round(float(df[column].sum()) * 100) == int(df[f"{column}_cents"].sum()), (name, column)
        table = sa.Table(name, sa.MetaData(), autoload_with=engine)
        with engine.connect() as c:
            for row in c.execute(sa.select(table)).mappings():
                assert all(row[a] is None or isinstance(row[a], (int, float)) or row[a].is_finite()
                           for a in amounts), (name, dict(row))


@pytest.fixture
def demo_receivables(engine):
    """The demo's April: pilot 40 days overdue with a correction, kiwi 3 days, harbour paid, switch void."""
    with engine.begin() as c:
        seed(c)
    rollup(engine)
    invoice = ids(engine)
    with engine.begin() as c:
        issue(c, invoice["pilot"], 40)
        issue(c, invoice["kiwi"], 3)
        issue(c, invoice["harbour"], 100)
        apply_move(c, invoice["harbour"], "pay", now())
        apply_move(c, invoice["switch"], "void", now())
        create_credit_note(c, invoice["pilot"], "droplet stopped early",
                           [LineCredit(line_id(c, invoice["pilot"], "overage"), 150)], now())
    write_cost_vs_revenue(engine, APRIL, "AUD")
    return engine


def test_the_demo_month_says_what_is_overdue_and_what_each_tenant_owes(demo_receivables):
    engine = demo_receivables
    got = {r["tenant_id"]: r for r in view(engine, "bi_invoices", "invoice_id")}
    assert (got["pilot"]["days_overdue"], got["kiwi"]["days_overdue"]) == (40, 3)
    assert got["harbour"]["days_overdue"] is got["switch"]["days_overdue"] is None  # paid, void: nothing due
    assert got["pilot"]["credited_cents"] == 165 and got["pilot"]["number"].startswith("INV-")
    assert str(got["pilot"]["due_on"]) == str(got["pilot"]["due_at"])[:10]
    assert_receivables_match_the_tables(engine)
    assert_read_as_numbers_that_sum_to_the_cents(engine)


@pytest.fixture
def credited_month(engine):
    """April for five tenants issued at different ages, the pilot's correction and goodwill notes,
    a fully credited tenant, DigitalOcean's bill and its rate."""
    w = World(engine).worked_example()
    for tenant in [*AGES, "refunded"]:
        w.example_tenant(tenant)
    rollup(engine)
    april_bill(engine)
    fx(engine, "USD", "AUD", "1.5")
    write_cost_vs_revenue(engine, APRIL, "AUD")
    invoice = ids(engine)
    with engine.begin() as c:
        for tenant, (days, _) in AGES.items():
            issue(c, invoice[tenant], days)
        issue(c, invoice["pilot"], 20)
        issue(c, invoice["refunded"], 5)
        create_credit_note(c, invoice["pilot"], "overage billed twice",
                           [LineCredit(line_id(c, invoice["pilot"], "overage"), 300)], now())
        create_credit_note(c, invoice["pilot"], "sorry for the outage",
                           [LineCredit(line_id(c, invoice["pilot"], "plan_base"), 1000)], now(), purpose="goodwill")
        create_credit_note(c, invoice["refunded"], "never used", None, now())
    return engine


def test_ageing_puts_each_tenants_balance_in_its_bucket(credited_month):
    engine = credited_month
    ageing = {r["tenant_id"]: r for r in view(engine, "bi_ar_ageing", "tenant_id")}
    assert "refunded" not in ageing  # fully credited: owes nothing
    for tenant, (days, bucket) in AGES.items():
        r = ageing[tenant]
        assert (r["max_days_overdue"], r["invoices_due"], r["currency"]) == (days, 1, "AUD")
        assert r[f"{bucket}_cents"] == r["amount_due_cents"] == 7064, tenant
    # the pilot owes its total less both notes (1000 plan + 300 overage, each with 10% GST)
    assert (ageing["pilot"]["days_1_30_cents"], ageing["pilot"]["max_days_overdue"]) == (7064 - 1430, 20)
    assert_receivables_match_the_tables(engine)
    assert_read_as_numbers_that_sum_to_the_cents(engine)


def test_credit_notes_and_their_lines_read_as_in_the_tables(credited_month):
    engine = credited_month
    notes = view(engine, "bi_credit_notes", "credit_note_id")
    assert [(n["number"], n["tenant_id"], n["purpose"], n["period"], n["total_cents"]) for n in notes] == [
        (r["number"], r["tenant_id"], r["purpose"], "2026-04", r["total_cents"])
        for r in rows(engine, t.credit_notes, order_by="id")]
    assert all(n["invoice_number"].startswith("INV-") and cents(n["total"]) == n["total_cents"] for n in notes)
    lines = view(engine, "bi_credit_note_lines", "line_id")
    assert [(ln["credit_note_number"], ln["kind"], ln["deployment_name"], ln["amount_cents"]) for ln in lines][:2] == [
        ("CN-000001", "overage", "dep-pilot", 300), ("CN-000002", "plan_base", "dep-pilot", 1000)]
    assert sum(ln["amount_cents"] for ln in lines) == sum(r["amount_cents"] for r in rows(engine, t.credit_note_lines))


def test_cost_vs_revenue_is_net_of_corrections_and_shows_goodwill_apart(credited_month):
    engine = credited_month
    table = {(r["tenant_id"], r["resource_kind"]): r for r in rows(engine, t.cost_vs_revenue)}
    got = {(r["tenant_id"], r["resource_kind"]): r for r in view(engine, "bi_cost_vs_revenue", "tenant_id")}
    assert got.keys() == table.keys()
    pilot_droplet, pilot_plan = got[("pilot", "droplet")], got[("pilot", "plan")]
    assert (pilot_droplet["invoiced_revenue_cents"], pilot_droplet["corrections_cents"],
            pilot_droplet["revenue_cents"], pilot_droplet["goodwill_cents"]) == (672, 300, 372, 0)
    assert pilot_droplet["margin_cents"] == table[("pilot", "droplet")]["margin_cents"] - 300
    assert (pilot_plan["revenue_cents"], pilot_plan["goodwill_cents"]) == (5000, 1000)  # goodwill: not off revenue
    refunded = sum(r["revenue_cents"] for (tenant, _), r in got.items() if tenant == "refunded")
    assert refunded == 0  # corrected in full
    corrections = sum(r["subtotal_cents"] for r in rows(engine, t.credit_notes) if r["purpose"] == "correction")
    assert sum(r["revenue_cents"] for r in got.values()) == sum(
        r["revenue_cents"] for r in table.values()) - corrections
    assert sum(cents(r["revenue"]) for r in got.values()) == sum(r["revenue_cents"] for r in got.values())


def test_downgrading_0014_restores_the_views_of_0007_and_upgrading_brings_the_new_ones_back(tmp_path, request):
    for url in (f"sqlite:///{tmp_path / 'w.db'}", request.getfixturevalue("pg_admin")("downgrade0014")):
        engine = create_warehouse_engine(url)
        upgrade(engine)
        World(engine).worked_example()
        rollup(engine)
        with engine.begin() as c:
            command.downgrade(alembic_config(c), "0013")
        assert sorted(sa.inspect(engine).get_view_names()) == ["bi_cost_vs_revenue", "bi_invoice_lines", "bi_invoices"]
        [old] = view(engine, "bi_invoices", "invoice_id")
        assert str(old["total"]) == "70.64" and "balance" not in old
        upgrade(engine)
        assert sorted(sa.inspect(engine).get_view_names()) == sorted(VIEWS)
        [new] = view(engine, "bi_invoices", "invoice_id")
        assert (float(new["total"]), new["balance_cents"]) == (70.64, 7064)
        engine.dispose()


def test_the_readmes_query_for_each_view_runs_as_written(demo_receivables):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("\n## For BI tools\n"):]
    section = section[:section.index("\n## ", 1)]
    queries = re.findall(r"```sql\n(.*?)```", section, re.DOTALL)
    assert sorted(re.search(r"FROM (bi_\w+)", q).group(1) for q in queries) == sorted(VIEWS)
    with demo_receivables.connect() as c:
        answers = {re.search(r"FROM (bi_\w+)", q).group(1): c.exec_driver_sql(q).all() for q in queries}
    assert all(answers.values()), answers  # the demo month has rows for each
    assert [(r.tenant_name, r.days_overdue) for r in answers["bi_invoices"]] == [
        ("Pilot Pty Ltd", 40), ("Kiwi Labs", 3)]
