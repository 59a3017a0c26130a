"""GET /api/v1/invoices and /api/v1/invoices/{id}: shape, filters, strict parameters, paging."""

from __future__ import annotations

import base64
from datetime import date

import sqlalchemy as sa

from arcadia_pipelines.warehouse.schema import tenant_invoices
from arcadia_pipelines_tests.builders import World

from .conftest import NOW, Ledger

INVOICE_FIELDS = {"id", "tenant_id", "period_start", "period_end", "currency", "subtotal_cents", "tax_cents",
                  "total_cents", "status", "created_at", "updated_at", "issued_at", "paid_at", "voided_at",
                  "tax_name", "tax_rate", "number", "due_at", "bill_to_name", "bill_to_address", "bill_to_tax_id",
                  "credited_cents", "balance_cents", "held_reason"}


def test_an_invoice_reads_with_integer_cents_iso_dates_and_lines_in_order(api, ledger, keys):
    invoice_id = ledger.invoice("acme", "2026-02", subtotal=7001)
    body = api.get(f"/api/v1/invoices/{invoice_id}", keys["acme"]).json()
    inv = body["data"]
    assert set(inv) == INVOICE_FIELDS | {"lines"}
    assert inv | {"lines": None} == {
        "id": invoice_id, "tenant_id": "acme", "period_start": "2026-02-01", "period_end": "2026-03-01",
        "currency": "AUD", "subtotal_cents": 7001, "tax_cents": 700, "total_cents": 7701, "status": "draft",
        "created_at": "2026-05-01T03:00:00Z", "updated_at": "2026-05-01T03:00:00Z",
        "issued_at": None, "paid_at": None, "voided_at": None, "tax_name": "GST", "tax_rate": "0.1", "lines": None,
        "number": None, "due_at": None, "bill_to_name": None, "bill_to_address": None, "bill_to_tax_id": None,
        "credited_cents": 0, "balance_cents": 7701, "held_reason": None}
    assert [ln["line_no"] for ln in inv["lines"]] == [1, 2, 3]
    overage = inv["lines"][1]
    assert overage == {"id": overage["id"], "invoice_id": invoice_id, "line_no": 2, "kind": "overage",
                       "deployment_id": "dep-acme", "subscription_id": "sub-acme", "resource_kind": "droplet",
                       "meter": "droplet_hours", "description": "droplet_hours overage", "quantity": "2844.5",
                       "unit_price_cents": "0.25", "amount_cents": 2001}
    assert inv["lines"][2]["deployment_id"] is None and inv["lines"][2]["kind"] == "tax"
    listed = api.get("/api/v1/invoices", keys["acme"]).json()
    assert listed == {"data": [{k: v for k, v in inv.items() if k != "lines"}], "next_cursor": None}


def test_the_worked_example_invoiced_by_the_pipeline_reads_back_exactly(api, engine, keys):
    from arcadia_pipelines.billing.periods import Period
    from arcadia_pipelines.monthend.invoices import write_invoices
    from arcadia_pipelines.monthend.quotes import write_quotes
    from arcadia_pipelines.monthend.usage import write_usage

    World(engine).worked_example("pilot")
    april = Period.parse("2026-04")
    write_usage(engine, april), write_quotes(engine, april), write_invoices(engine, april)
    [inv] = api.get("/api/v1/invoices", keys["admin"], tenant_id="pilot").json()["data"]
    lines = api.get(f"/api/v1/invoices/{inv['id']}", keys["admin"]).json()["data"]["lines"]
    assert (inv["subtotal_cents"], inv["tax_cents"], inv["total_cents"]) == (6422, 642, 7064)
    assert [(ln["line_no"], ln["kind"], ln["quantity"], ln["unit_price_cents"], ln["amount_cents"])
            for ln in lines] == [(1, "plan_base", "1", "5000", 5000), (2, "addon", "1", "750", 750),
                                 (3, "overage", "672", "1", 672), (4, "tax", "0.1", "6422", 642)]
    assert lines[1]["description"] == "Addon: storage_50gb"


def test_filters_by_period_status_and_tenant(api, ledger, keys):
    a_mar = ledger.invoice("acme", "2026-03", status="paid")
    a_apr = ledger.invoice("acme", "2026-04")
    g_apr = ledger.invoice("globex", "2026-04", status="issued")
    ids = lambda **f: [i["id"] for i in api.get("/api/v1/invoices", keys["admin"], **f).json()["data"]]  # noqa: E731
    assert ids() == [g_apr, a_apr, a_mar]  # newest period first, then newest id
    assert ids(period="2026-04") == [g_apr, a_apr]
    assert ids(period="2026-04-01") == [g_apr, a_apr]
    assert ids(status="paid") == [a_mar]
    assert ids(tenant_id="acme", period="2026-04") == [a_apr]
    assert ids(tenant_id="globex", status="draft") == []
    assert ids(period="2025-04") == []


BAD_QUERIES = [
    "period=2026-13", "period=April", "period=2026-4", "period=", "period=2026-04%00",
    "status=unknown", "status=DRAFT", "status=draft%27%20OR%201%3D1", "status=", "status=draft&status=paid",
    "limit=0", "limit=501", "limit=-1", "limit=abc", "limit=1e2", "limit=5.0", "limit=99999999999999999999999",
    "limit=%D9%A3",  # an Arabic-Indic digit three
    "cursor=garbage", "cursor=%00", "cursor=" + "A" * 5000,
    "cursor=" + base64.urlsafe_b64encode(b"2026-04-01:0").decode(),
    "cursor=" + base64.urlsafe_b64encode(b"2026-04-01:99999999999999999999").decode(),
    "cursor=" + base64.urlsafe_b64encode(b"2026-02-30:5").decode(),
    "tenant_id=%00", "tenant_id=" + "a" * 201, "tenant_id=",
    "tenantid=acme", "page=2", "id=1",
]


def test_malformed_list_parameters_get_400_naming_the_problem(api, ledger, keys):
    ledger.invoice("acme")
    for query in BAD_QUERIES:
        r = api.http.get(f"/api/v1/invoices?{query}", headers={"Authorization": f"Bearer {keys['admin']}"})
        assert r.status_code == 400, (query, r.text)
        assert r.json()["error"]["code"] in ("invalid_parameter", "invalid_cursor"), query


def _add_invoices(engine, n: int, tenant: str = "bulk", first_period=date(2000, 1, 1)):
    """n invoices for one new tenant, one per month from `first_period`."""
    Ledger(engine).tenant(tenant)
    y, m = first_period.year, first_period.month
    rows = []
    for k in range(n):
        start = date(y + (m - 1 + k) // 12, (m - 1 + k) % 12 + 1, 1)
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        rows.append({"tenant_id": tenant, "period_start": start, "period_end": end, "currency": "AUD",
                     "subtotal_cents": 100, "tax_cents": 10, "total_cents": 110, "status": "draft",
                     "created_at": NOW, "updated_at": NOW})
    with engine.begin() as c:
        c.execute(sa.insert(tenant_invoices), rows)


def test_limit_defaults_to_50_and_goes_up_to_500(api, engine, keys):
    _add_invoices(engine, 501)
    first = api.get("/api/v1/invoices", keys["admin"]).json()
    assert len(first["data"]) == 50 and first["next_cursor"]
    most = api.get("/api/v1/invoices", keys["admin"], limit=500).json()
    assert len(most["data"]) == 500 and most["next_cursor"]
    rest = api.get("/api/v1/invoices", keys["admin"], limit=500, cursor=most["next_cursor"]).json()
    assert len(rest["data"]) == 1 and rest["next_cursor"] is None


def test_cursor_paging_neither_repeats_nor_skips_while_invoices_are_added(api, engine, ledger, keys):
    tenants = [ledger.tenant(f"t{n}") for n in range(4)]
    original = {ledger.invoice(t, f"2025-{m:02d}") for t in tenants for m in range(1, 7)}
    seen, cursor, added = [], None, 0
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/invoices", keys["admin"], **params).json()
        seen += [(i["period_start"], i["id"]) for i in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        # between fetches: invoices in every month, before and after the cursor's position
        late = ledger.tenant(f"late{added}")
        for m in (1, 3, 6, 12):
            ledger.invoice(late, f"2025-{m:02d}")
        added += 1
    ids = [i for _, i in seen]
    assert len(ids) == len(set(ids)), "a row was handed out twice"
    assert original <= set(ids), "a row that existed all along was skipped"
    assert seen == sorted(seen, reverse=True), "pages are not in one stable order"
    assert added >= 4
