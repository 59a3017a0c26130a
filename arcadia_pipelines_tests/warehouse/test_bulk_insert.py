"""`bulk_insert` (COPY on PostgreSQL, executemany on SQLite) stores exactly what a Core insert does."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa

from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.warehouse.sqlfuncs import bulk_insert
from arcadia_pipelines_tests.builders import rows

AWKWARD = ["tab\there", "new\nline", "back\\slash", "\\N", "", "carriage\rreturn", "ünïcødé ✓", "comma, \"quote\""]
SYDNEY = timezone(timedelta(hours=10))


def quote_rows(period_start: date) -> list[dict]:
    return [{"period_start": period_start, "subscription_id": f"s{n}", "line_no": 1, "tenant_id": "t",
             "deployment_id": "d", "window_start": datetime(2026, 4, 1, 10, 0, 0, 123456, tzinfo=SYDNEY),
             "window_end": datetime(2026, 5, 1, tzinfo=timezone.utc), "kind": "overage",
             "resource_kind": None if n % 2 else "droplet", "meter": None, "description": text,
             "quantity": [Decimal("1.0"), Decimal(1), Decimal("1E-12"), Fraction(1, 3), 7][n % 5],
             "unit_price_cents": Decimal("0.125"), "amount_cents": -n, "currency": "AUD"}
            for n, text in enumerate(AWKWARD)]


def test_bulk_insert_matches_a_core_insert_value_for_value(engine):
    core, bulk = date(2026, 3, 1), date(2026, 4, 1)
    with engine.begin() as c:
        c.execute(sa.insert(t.deployment_quotes), quote_rows(core))
        bulk_insert(c, t.deployment_quotes, quote_rows(bulk))

    def stored(period):
        return [{k: v for k, v in r.items() if k != "period_start"}
                for r in rows(engine, t.deployment_quotes, order_by="subscription_id", period_start=period)]

    assert stored(bulk) == stored(core)
    assert [str(r["quantity"]) for r in stored(bulk)] == [str(r["quantity"]) for r in stored(core)]
    assert [r["description"] for r in stored(bulk)] == AWKWARD


def test_bulk_insert_writes_every_row_of_a_large_batch_once(engine):
    """Larger than one multi-row statement (SQLite) and not a multiple of it: nothing lost or doubled."""
    n = 1000
    lines = [(date(2026, 4, 1), f"s{i:04d}", 1, f"t{i % 7}", "d", datetime(2026, 4, 1, tzinfo=timezone.utc),
              datetime(2026, 5, 1, tzinfo=timezone.utc), "overage", "droplet", "droplet_hours", f"line {i}",
              Decimal(i) / 8, Decimal("1.5"), i, "AUD") for i in range(n)]
    columns = [c.name for c in t.deployment_quotes.columns]
    with engine.begin() as c:
        bulk_insert(c, t.deployment_quotes, lines, columns)
    stored = rows(engine, t.deployment_quotes, order_by="subscription_id")
    assert [(r["subscription_id"], r["quantity"], r["amount_cents"]) for r in stored] == \
        [(f"s{i:04d}", Decimal(i) / 8, i) for i in range(n)]


def test_a_float_is_refused_even_beside_an_equal_decimal(engine):
    """Values are converted once per distinct value: 0.1 and Decimal('0.1') are not the same one."""
    row = quote_rows(date(2026, 4, 1))[0]
    with pytest.raises(TypeError, match="exact"):
        with engine.begin() as c:
            bulk_insert(c, t.deployment_quotes, [{**row, "subscription_id": "s-float", "quantity": 0.1},
                                                 {**row, "quantity": Decimal("0.1")}])
    assert rows(engine, t.deployment_quotes) == []
