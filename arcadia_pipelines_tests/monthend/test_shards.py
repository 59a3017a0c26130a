"""A month written as tenant shards is the month written whole: every tenant in exactly one
shard, the same usage, evidence, quotes, invoices, lines, events and named errors, a shard
re-run alone changes nothing, and runs of one month with different shard counts at the same
time (PostgreSQL) end as one run would."""

import threading

import pytest
import sqlalchemy as sa

from arcadia_pipelines.monthend.invoices import write_invoices
from arcadia_pipelines.monthend.quotes import write_quotes
from arcadia_pipelines.monthend.shards import PIECES, WHOLE_MONTH, plan_shards
from arcadia_pipelines.monthend.usage import write_usage
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows

from .rollup import APRIL

OUTPUTS = (t.deployment_usage, t.usage_evidence, t.deployment_quotes, t.billing_errors)


def _month(engine, tenants=9):
    """Tenants t0..t{n-1} on the worked example's plan, one in NZ, one with an unknown addon
    (quotes fail) and one with a negative volume size (usage fails)."""
    w = World(engine).worked_example("t0")
    for n in range(1, tenants):
        w.example_tenant(f"t{n}", country="NZ" if n == 3 else "AU")
        w.resource(f"dep-t{n}", f"t{n}-late", at(2026, 4, n + 1, 7, 30))
    w.deployment("dep-t5b", "t5").subscription("sub-t5b", "t5", "dep-t5b", "studio", at(2026, 4, 10),
                                               addons=[("nope", 1)])
    w.subscription("sub-t6-old", "t6", "dep-t6", "studio", at(2025, 1, 1), at(2025, 3, 1))
    w.resource("dep-t7", "t7-bad-volume", at(2026, 4, 3), kind="volume", quantity=-5)
    return w


def _written(engine):
    """Everything the month-end wrote, without ids and clocks."""
    out = {table.name: sorted(map(repr, ({k: v for k, v in r.items() if k not in ("id", "recorded_at")}
                                          for r in rows(engine, table)))) for table in OUTPUTS}
    with engine.connect() as c:
        i, ln, ev = t.tenant_invoices, t.tenant_invoice_lines, t.invoice_events
        out["invoices"] = sorted(c.execute(sa.select(i.c.tenant_id, i.c.currency, i.c.subtotal_cents, i.c.tax_cents,
                                                     i.c.total_cents, i.c.status, i.c.tax_name, i.c.tax_rate)).all())
        out["lines"] = sorted(c.execute(sa.select(i.c.tenant_id, ln.c.line_no, ln.c.kind, ln.c.description,
                                                  ln.c.quantity, ln.c.amount_cents).join(i)).all())
        out["events"] = sorted(c.execute(sa.select(ev.c.tenant_id, ev.c.kind, ev.c.total_cents)).all())
    return out


def _clear(engine):
    with engine.begin() as c:
        for table in (t.invoice_events, t.tenant_invoice_lines, t.tenant_invoices, *OUTPUTS):
            c.execute(sa.delete(table))


def _in_shards(engine, shards):
    for write in (write_usage, write_quotes, write_invoices):
        for shard in shards:
            write(engine, APRIL, shard=shard)


def test_shards_cover_every_tenant_once_with_consecutive_pieces(engine):
    w = World(engine)
    ids = [f"t{n:02d}" for n in range(10)]
    for tenant in ids:
        w.tenant(tenant)
    with engine.connect() as c:
        assert plan_shards(c, 1) == [WHOLE_MONTH]
        for k in range(2, 15):
            shards = plan_shards(c, k)
            assert 2 <= len(shards) <= min(k, len(ids))
            assert [p for s in shards for p in s.pieces] == list(range(PIECES))
            assert shards[0].tenants.after is None and shards[-1].tenants.upto is None
            for tenant in [*ids, "a-before-all", "z-after-all"]:
                owners = [s for s in shards if (s.tenants.after is None or tenant > s.tenants.after)
                          and (s.tenants.upto is None or tenant <= s.tenants.upto)]
                assert len(owners) == 1, (k, tenant)
            sizes = [sum(1 for i in ids if (s.tenants.after is None or i > s.tenants.after)
                         and (s.tenants.upto is None or i <= s.tenants.upto)) for s in shards]
            assert max(sizes) - min(sizes) <= 2, (k, sizes)


def test_a_month_in_shards_is_the_month_written_whole_and_a_shard_rerun_changes_nothing(engine):
    _month(engine)
    _in_shards(engine, [WHOLE_MONTH])
    whole = _written(engine)
    assert {e.split("'rule': ")[1].split(",")[0] for e in whole["billing_errors"]} == {
        "'unknown_addon_version'", "'negative_quantity'"}
    for k in (2, 3, 4, 9):
        _clear(engine)
        with engine.connect() as c:
            shards = plan_shards(c, k)
        _in_shards(engine, shards)
        assert _written(engine) == whole, k
    for write in (write_usage, write_quotes, write_invoices):
        write(engine, APRIL, shard=shards[1])
    assert _written(engine) == whole


def test_concurrent_runs_with_different_shard_counts_end_as_one_run(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: there is nothing concurrent to test")
    _month(engine, tenants=12)
    _in_shards(engine, [WHOLE_MONTH])
    whole = _written(engine)
    _clear(engine)
    with engine.connect() as c:
        plans = [plan_shards(c, k) for k in (1, 2, 3, 5)]
    errors = []

    def run(shards, write):
        try:
            for shard in shards:
                write(engine, APRIL, shard=shard)
        except Exception as e:  # noqa: BLE001 - the test reports any
            errors.append(e)

    for write in (write_usage, write_quotes, write_invoices):
        threads = [threading.Thread(target=run, args=([s], write)) for shards in plans for s in shards]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert errors == []
    assert _written(engine) == whole  # each invoice created (and its event appended) by one run only
