"""One bad source row among 20 good tenants: its tenant gets a named error and no invoice, and the
other 19 are invoiced exactly as without it (issue 11: never a stopped month, never a silent
wrong bill)."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from arcadia_pipelines.billing import bounds
from arcadia_pipelines.monthend.billing_errors_store import period_errors
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

from .rollup import APRIL, rollup

TENANTS = [f"t{n:02d}" for n in range(20)]
GOLD = "t03"  # the only tenant on plan gold
NZ = "t09"  # the only tenant in NZ
EXE = str(Path(sys.executable).with_name("arcadia-pipelines"))
OUTPUTS = (t.tenant_invoice_lines, t.tenant_invoices, t.deployment_quotes, t.deployment_usage, t.billing_errors)


def good_world(engine) -> None:
    w = World(engine)
    w.plan("studio", 5000, meters=[("droplet_hours", "droplet", 1488, 1),
                                   ("volume_gb_hours", "volume", 36000, "0.005")])
    w.plan("gold", 25000, meters=[("droplet_hours", "droplet", 2976, "0.75")])
    w.addon("storage_50gb", 750, resource_kind="volume")
    w.tax_rate("NZ", "0.15", name="GST")
    for n, tenant in enumerate(TENANTS):
        dep = f"dep-{tenant}"
        w.tenant(tenant, country="NZ" if tenant == NZ else "AU").deployment(dep, tenant)
        w.subscription(f"sub-{tenant}", tenant, dep, "gold" if tenant == GOLD else "studio",
                       at(2026, 4, 1 + n) if n % 4 == 1 else at(2026, 3, 1),
                       addons=[("storage_50gb", 1 + n % 2)] if n % 3 == 0 else ())
        for k in range(2):
            w.resource(dep, f"{tenant}-droplet-{k}", at(2026, 3, 15) + timedelta(hours=7 * n * k))
        w.resource(dep, f"{tenant}-vol", at(2026, 4, 2, 5), kind="volume", quantity=50 + n, size_slug=None)


def _sql(statement: str):
    return lambda c: c.exec_driver_sql(statement)


def _duplicate_subscription(c):
    s = t.subscriptions
    c.execute(sa.insert(s).values(id="sub-t11-again", tenant_id="t11", deployment_id="dep-t11", plan_code="studio",
                                  status="active", started_at=at(2026, 4, 10)))


def _undated_gold(c):
    """Plan gold's version and its meters (a foreign key: checked at commit) dated '2026-13-01'."""
    c.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    for table, code in (("plans", "code"), ("plan_meters", "plan_code")):
        c.exec_driver_sql(f"UPDATE {table} SET effective_from = '2026-13-01' WHERE {code} = 'gold'")


BOTH, SQLITE, POSTGRESQL = ("sqlite", "postgresql"), ("sqlite",), ("postgresql",)

# (case, backends, bad row, tenant, rule, what the message names)
CASES = [
    ("volume_1e20_gb", BOTH, _sql("UPDATE metered_resources SET quantity = '100000000000000000000' "
                                  "WHERE resource_id = 't07-vol'"), "t07", "quantity_out_of_bounds", "t07-vol"),
    ("volume_1e15_gb", BOTH, _sql("UPDATE metered_resources SET quantity = '1000000000000000' "
                                  "WHERE resource_id = 't07-vol'"), "t07", "quantity_out_of_bounds", "t07-vol"),
    ("droplet_counted_twice", BOTH, _sql("UPDATE metered_resources SET quantity = '2' "
                                         "WHERE resource_id = 't12-droplet-0'"), "t12", "quantity_out_of_bounds",
     "t12-droplet-0"),
    ("plan_price_9e18", BOTH, _sql("UPDATE plans SET base_price_cents = 9000000000000000000 WHERE code = 'gold'"),
     GOLD, "price_out_of_bounds", "plan 'gold'"),
    ("negative_tax_rate", BOTH, _sql("UPDATE tax_rates SET rate = '-0.15' WHERE country = 'NZ'"),
     NZ, "invalid_tax_rate", "'NZ'"),
    ("tax_rate_above_one", BOTH, _sql("UPDATE tax_rates SET rate = '1.5' WHERE country = 'NZ'"),
     NZ, "invalid_tax_rate", "'NZ'"),
    ("tax_rate_13_decimals", BOTH, _sql("UPDATE tax_rates SET rate = '0.1500000000001' WHERE country = 'NZ'"),
     NZ, "invalid_tax_rate", "rate is 0.1500000000001; a tax rate has at most 12 decimal places"),
    ("duplicate_subscription", BOTH, _duplicate_subscription, "t11", "overlapping_subscriptions", "sub-t11"),
    ("addon_quantity_huge", BOTH, _sql("UPDATE subscription_addons SET quantity = 2000000000 "
                                       "WHERE subscription_id = 'sub-t06'"), "t06", "quantity_out_of_bounds",
     "storage_50gb"),
    ("interval_ends_at_infinity", POSTGRESQL, _sql("UPDATE metered_resources SET ended_at = 'infinity' "
                                                   "WHERE resource_id = 't08-droplet-1'"),
     "t08", "unreadable_timestamp", "t08-droplet-1"),
    ("subscription_ends_at_infinity", POSTGRESQL, _sql("UPDATE subscriptions SET ended_at = 'infinity', "
                                                       "status = 'cancelled' WHERE id = 'sub-t05'"),
     "t05", "unreadable_timestamp", "'infinity'"),
    ("subscription_ends_after_year_9999", POSTGRESQL, _sql("UPDATE subscriptions SET ended_at = '20000-01-01', "
                                                           "status = 'cancelled' WHERE id = 'sub-t05'"),
     "t05", "unreadable_timestamp", "20000-01-01"),  # PostgreSQL holds it, Python's datetime does not
    ("interval_starts_before_year_1", POSTGRESQL, _sql("UPDATE metered_resources SET started_at = '0100-01-01 BC' "
                                                       "WHERE resource_id = 't08-droplet-1'"),
     "t08", "unreadable_timestamp", "t08-droplet-1"),
    # SQLite keeps any text in any column
    ("quantity_text", SQLITE, _sql("UPDATE metered_resources SET quantity = 'abc' WHERE resource_id = 't07-vol'"),
     "t07", "invalid_number", "'abc'"),
    ("addon_quantity_text", SQLITE, _sql("UPDATE subscription_addons SET quantity = 'two' "
                                         "WHERE subscription_id = 'sub-t06'"), "t06", "invalid_number", "'two'"),
    ("plan_price_text", SQLITE, _sql("UPDATE plans SET base_price_cents = 'abc' WHERE code = 'gold'"),
     GOLD, "invalid_number", "plan 'gold'"),
    ("included_quantity_text", SQLITE, _sql("UPDATE plan_meters SET included_quantity = 'lots' "
                                            "WHERE plan_code = 'gold'"), GOLD, "invalid_number", "'lots'"),
    ("tax_rate_text", SQLITE, _sql("UPDATE tax_rates SET rate = 'fifteen' WHERE country = 'NZ'"),
     NZ, "invalid_tax_rate", "'fifteen'"),
    ("tax_rate_effective_text", SQLITE, _sql("UPDATE tax_rates SET effective_from = 'soon' WHERE country = 'NZ'"),
     NZ, "unreadable_date", "tax_rate 'NZ': a version has effective_from 'soon'"),
    ("plan_effective_text", SQLITE, _undated_gold, GOLD, "unreadable_date",
     "plan 'gold': a version has effective_from"),
    ("subscription_start_text", SQLITE, _sql("UPDATE subscriptions SET started_at = 'not a date' "
                                             "WHERE id = 'sub-t05'"), "t05", "unreadable_timestamp", "'not a date'"),
    ("subscription_end_april_31", SQLITE, _sql("UPDATE subscriptions SET ended_at = '2026-04-31 10:00:00', "
                                               "status = 'cancelled' WHERE id = 'sub-t05'"),
     "t05", "unreadable_timestamp", "'2026-04-31 10:00:00'"),  # SQLite reads it as May 1st, Python does not
    ("interval_start_text", SQLITE, _sql("UPDATE metered_resources SET started_at = 'yesterday' "
                                         "WHERE resource_id = 't14-droplet-1'"),
     "t14", "unreadable_timestamp", "t14-droplet-1"),
    ("interval_end_text", SQLITE, _sql("UPDATE metered_resources SET ended_at = '2026-04-31 25:00' "
                                       "WHERE resource_id = 't14-droplet-1'"),
     "t14", "unreadable_timestamp", "'2026-04-31 25:00'"),
]


def invoices(engine) -> dict:
    """Each tenant's invoice and lines, without the ids and times a new run gives them."""
    found = {}
    for inv in rows(engine, t.tenant_invoices):
        lines = rows(engine, t.tenant_invoice_lines, order_by="line_no", invoice_id=inv["id"])
        found[inv["tenant_id"]] = (
            {k: v for k, v in inv.items() if k not in ("id", "created_at", "updated_at")},
            [{k: v for k, v in ln.items() if k not in ("id", "invoice_id")} for ln in lines])
    return found


@pytest.mark.parametrize("case, backends, bad_row, tenant, rule, names", CASES, ids=[c[0] for c in CASES])
def test_one_bad_row_fails_only_its_tenant(engine, case, backends, bad_row, tenant, rule, names):
    if engine.dialect.name not in backends:
        pytest.skip(f"{case} cannot be stored on {engine.dialect.name}")
    good_world(engine)
    rollup(engine)
    expected = invoices(engine)
    assert sorted(expected) == TENANTS and expected[NZ][0]["tax_cents"] > 0
    with engine.begin() as c:  # the same warehouse, fresh for the rollup: no outputs, then the bad row
        for table in OUTPUTS:
            c.execute(sa.delete(table))
        bad_row(c)

    rollup(engine)

    with engine.connect() as c:
        errors = period_errors(c, APRIL)
    assert {(e.tenant_id, e.rule) for e in errors} == {(tenant, rule)}
    assert all(names in str(e) for e in errors), [str(e) for e in errors]
    got = invoices(engine)
    assert tenant not in got
    assert got == {k: v for k, v in expected.items() if k != tenant}


def test_a_tenant_whose_lines_add_up_beyond_the_invoice_bound_is_refused(engine):
    """Every line within its bound, eleven of them at the line bound: the subtotal would pass
    MAX_INVOICE_CENTS, so that tenant is named instead of invoiced."""
    good_world(engine)
    w = World(engine).plan("rack", 0).addon("rack_unit", bounds.MAX_PRICE_CENTS)
    w.tenant("whale")
    for n in range(11):
        w.deployment(f"whale-{n}", "whale").subscription(f"sub-whale-{n}", "whale", f"whale-{n}", "rack",
                                                       at(2026, 3, 1), addons=[("rack_unit", 10)])
    rollup(engine)
    with engine.connect() as c:
        [error] = period_errors(c, APRIL)
    assert (error.tenant_id, error.rule) == ("whale", "invoice_total_out_of_bounds")
    assert f"{11 * 10 * bounds.MAX_PRICE_CENTS} cents" in error.message
    assert sorted(invoices(engine)) == TENANTS


@pytest.mark.slow  # the CLI as a subprocess
def test_the_cli_rollup_invoices_the_others_and_names_the_bad_row(engine, warehouse_url, tmp_path):
    """As the issue ran it: the run fails in one line naming tenant and rule, after invoicing everyone else
    (it used to stop at `Error occurred while executing op "deployment_quotes":` with nobody invoiced)."""
    good_world(engine)
    price = "'abc'" if engine.dialect.name == "sqlite" else "9000000000000000000"
    with engine.begin() as c:
        c.exec_driver_sql(f"UPDATE plans SET base_price_cents = {price} WHERE code = 'gold'")
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ARCADIA_WAREHOUSE_URL": warehouse_url}
    p = subprocess.run([EXE, "rollup", "--period", "2026-04"], env=env, capture_output=True, text=True, timeout=180,
                       check=False)
    assert p.returncode == 1
    [line] = p.stderr.strip().splitlines()
    rule = "invalid_number" if engine.dialect.name == "sqlite" else "price_out_of_bounds"
    assert f"tenant {GOLD}, subscription sub-{GOLD}: {rule}: plan 'gold'" in line
    assert sorted(invoices(engine)) == [tenant for tenant in TENANTS if tenant != GOLD]
