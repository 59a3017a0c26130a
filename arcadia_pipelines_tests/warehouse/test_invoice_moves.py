"""Issuing hands out gap-free numbers, due dates and a billing-details snapshot; every move and its
event commit together or not at all."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command

from arcadia_pipelines.billing.lifecycle import MoveNotAllowed
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.engine import create_warehouse_engine
from arcadia_pipelines.billing.lifecycle import InvoiceNotFound
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.migrate import alembic_config, upgrade
from arcadia_pipelines.warehouse.schema import invoice_events, tenant_invoices, tenants
from arcadia_pipelines_tests.builders import rows

NOW = datetime(2026, 5, 2, 9, 30, tzinfo=timezone.utc)


def add_tenant(engine, tenant_id, **details):
    with engine.begin() as c:
        c.execute(sa.insert(tenants), {"id": tenant_id, "name": tenant_id.title(), "country": "AU", **details})


def add_draft(engine, tenant_id, period="2026-04", status="draft", total=7064) -> int:
    p = Period.parse(period)
    with engine.begin() as c:
        return c.scalar(sa.insert(tenant_invoices).returning(tenant_invoices.c.id), {
            "tenant_id": tenant_id, "period_start": p.start, "period_end": p.end, "currency": "AUD",
            "subtotal_cents": total - total // 11, "tax_cents": total // 11, "total_cents": total, "status": status,
            "created_at": NOW, "updated_at": NOW, "tax_name": "GST", "tax_rate": Decimal("0.1")})


def move(engine, invoice_id, name, now=NOW, tenant_id=None):
    with engine.begin() as c:
        return apply_move(c, invoice_id, name, now, tenant_id)


def test_issue_numbers_in_order_sets_due_date_from_terms_and_snapshots_billing_details(engine):
    add_tenant(engine, "acme", legal_name="Acme Pty Ltd", billing_address="1 George St\nSydney NSW 2000",
               tax_id="51 824 753 556", payment_terms_days=30)
    add_tenant(engine, "globex")
    first, second = add_draft(engine, "acme"), add_draft(engine, "globex")
    move(engine, second, "issue")
    move(engine, first, "issue", NOW + timedelta(hours=1))
    with engine.begin() as c:  # details changed later do not change what was printed
        c.execute(sa.update(tenants).where(tenants.c.id == "acme").values(legal_name="Acme Holdings"))
    by_id = {r["id"]: r for r in rows(engine, tenant_invoices)}
    assert (by_id[second]["number"], by_id[second]["due_at"]) == ("INV-000001", NOW + timedelta(days=14))
    assert by_id[second]["bill_to_name"] == "Globex" and by_id[second]["bill_to_tax_id"] is None
    acme = by_id[first]
    assert (acme["number"], acme["status"], acme["issued_at"]) == ("INV-000002", "issued", NOW + timedelta(hours=1))
    assert acme["due_at"] == NOW + timedelta(hours=1, days=30)
    assert (acme["bill_to_name"], acme["bill_to_address"], acme["bill_to_tax_id"]) == (
        "Acme Pty Ltd", "1 George St\nSydney NSW 2000", "51 824 753 556")
    move(engine, first, "pay", NOW + timedelta(days=3))
    events = [(e["invoice_id"], e["kind"], e["status"], e["number"], e["total_cents"])
              for e in rows(engine, invoice_events, order_by="id")]
    assert events == [(second, "issued", "issued", "INV-000001", 7064), (first, "issued", "issued", "INV-000002", 7064),
                      (first, "paid", "paid", "INV-000002", 7064)]


def test_a_refused_move_consumes_no_number_and_appends_no_event(engine):
    add_tenant(engine, "acme")
    void, draft = add_draft(engine, "acme", "2026-03", status="void"), add_draft(engine, "acme")
    with pytest.raises(MoveNotAllowed, match=f"invoice {void} is void; issue needs draft"):
        move(engine, void, "issue")
    with pytest.raises(InvoiceNotFound):
        move(engine, draft, "issue", tenant_id="someone-else")
    assert rows(engine, invoice_events) == []
    move(engine, draft, "issue")
    assert [r["number"] for r in rows(engine, tenant_invoices, order_by="id")] == [None, "INV-000001"]


def test_a_move_rolled_back_after_its_event_leaves_neither_status_nor_event_nor_number(engine):
    add_tenant(engine, "acme")
    first, second = add_draft(engine, "acme", "2026-03"), add_draft(engine, "acme")
    with engine.connect() as c:
        tx = c.begin()
        apply_move(c, first, "issue", NOW)
        assert c.scalar(sa.select(sa.func.count()).select_from(invoice_events)) == 1  # written inside...
        tx.rollback()  # ...then the transaction fails after the event insert
    assert [(r["status"], r["number"]) for r in rows(engine, tenant_invoices, order_by="id")] == [
        ("draft", None), ("draft", None)]
    assert rows(engine, invoice_events) == []
    move(engine, second, "issue")
    assert rows(engine, tenant_invoices, id=second)[0]["number"] == "INV-000001"


def test_fifty_concurrent_issues_get_numbers_1_to_50_without_gap_or_duplicate(empty_pg_url):
    engine = create_warehouse_engine(empty_pg_url, pool_size=50, max_overflow=0)
    try:
        for n in range(50):
            add_tenant(engine, f"t{n:02d}")
        drafts = [add_draft(engine, f"t{n:02d}") for n in range(50)]
        start, errors = threading.Barrier(50), []

        def issue(invoice_id):
            try:
                with engine.connect() as c:
                    start.wait()
                    with c.begin():
                        apply_move(c, invoice_id, "issue", datetime.now(timezone.utc))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=issue, args=(d,)) for d in drafts]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert errors == []
        numbers = sorted(r["number"] for r in rows(engine, tenant_invoices))
        assert numbers == [f"INV-{n:06d}" for n in range(1, 51)]
        events = rows(engine, invoice_events, order_by="id")
        # appended under the number's lock: event order is issue order
        assert [e["number"] for e in events] == numbers and {e["kind"] for e in events} == {"issued"}
    finally:
        engine.dispose()


def test_upgrading_gives_existing_invoices_a_created_event_and_no_number(tmp_path):
    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as c:
        command.upgrade(alembic_config(c), "0007")
        c.exec_driver_sql("INSERT INTO tenants VALUES ('acme', 'Acme', 'AU')")
        c.exec_driver_sql("INSERT INTO tenant_invoices (tenant_id, period_start, period_end, currency, "
                          "subtotal_cents, tax_cents, total_cents, status, created_at, updated_at, issued_at) "
                          "VALUES ('acme', '2026-03-01', '2026-04-01', 'AUD', 6422, 642, 7064, 'issued', "
                          "'2026-04-01 03:00:00.000000', '2026-04-02 03:00:00.000000', '2026-04-02 03:00:00.000000')")
    upgrade(engine)
    [invoice] = rows(engine, tenant_invoices)
    [event] = rows(engine, invoice_events)
    assert invoice["number"] is None and invoice["due_at"] is None
    assert (event["kind"], event["status"], event["total_cents"], event["occurred_at"]) == (
        "created", "issued", 7064, datetime(2026, 4, 1, 3, tzinfo=timezone.utc))
    engine.dispose()
