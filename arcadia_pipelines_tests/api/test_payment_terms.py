"""Issue 22: a tenant's `payment_terms_days` has bounds (0 to 3,650 days, billing/bounds.py);
issuing an invoice of a tenant outside them is refused by name (409 `invalid_payment_terms`),
never a 500 (2,920,000 days used to overflow the due date), and consumes no number."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from arcadia_pipelines.billing.bounds import MAX_PAYMENT_TERMS_DAYS
from arcadia_pipelines.warehouse.schema import tenants


def set_terms(engine, tenant: str, days) -> None:
    with engine.begin() as c:
        if isinstance(days, str):  # SQLite keeps text in an integer column
            c.exec_driver_sql(f"UPDATE tenants SET payment_terms_days = '{days}' WHERE id = '{tenant}'")
        else:
            c.execute(sa.update(tenants).where(tenants.c.id == tenant).values(payment_terms_days=days))


@pytest.mark.parametrize("days", [2_920_000, 2**31 - 1, MAX_PAYMENT_TERMS_DAYS + 1, -1, "abc"])
def test_terms_out_of_bounds_are_refused_by_name_and_cost_no_number(api, engine, ledger, keys, days):
    if isinstance(days, str) and engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps only integers in an integer column")
    invoice_id = ledger.invoice("acme")
    set_terms(engine, "acme", days)
    r = api.post(f"/api/v1/invoices/{invoice_id}/issue", keys["admin"])
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_payment_terms"
    assert f"payment_terms_days is {days!r}" in error["message"] and str(MAX_PAYMENT_TERMS_DAYS) in error["message"]
    assert ledger.status(invoice_id) == "draft"

    set_terms(engine, "acme", MAX_PAYMENT_TERMS_DAYS)  # the longest terms allowed
    issued = api.post(f"/api/v1/invoices/{invoice_id}/issue", keys["admin"])
    assert issued.status_code == 200, issued.text
    data = issued.json()["data"]
    assert data["number"] == "INV-000001"
    issued_at, due = (datetime.fromisoformat(data[k].replace("Z", "+00:00")) for k in ("issued_at", "due_at"))
    assert due - issued_at == timedelta(days=MAX_PAYMENT_TERMS_DAYS)
