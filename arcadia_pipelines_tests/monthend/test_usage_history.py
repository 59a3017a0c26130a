"""A month's usage reads the intervals that can matter to it (issue 14), not every month's closed
history: the same usage, evidence and errors with or without two years of it, through the
relevant_until indexes (migration 0011) on SQLite and PostgreSQL."""

import sqlalchemy as sa

from arcadia_pipelines.monthend import usage
from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import at, rows
from benchmarks.generate import PERIOD, generate

UNREADABLE = "r-unreadable"  # on t000003's first deployment, in both warehouses
OLD_BROKEN = ("r-old-negative", "r-old-ends-first")  # on t000005's: history, so it must not block


def _month(engine) -> dict:
    usage.write_usage(engine, PERIOD)
    e = t.billing_errors
    return {"usage": rows(engine, t.deployment_usage, order_by="subscription_id meter"),
            "evidence": rows(engine, t.usage_evidence, order_by="subscription_id resource_kind resource_id started_at"),
            "errors": [(r["tenant_id"], r["rule"], r["subscription_id"], r["message"])
                       for r in rows(engine, e, order_by="tenant_id rule subscription_id")]}


def _interval(resource_id: str, deployment: str, started_at, ended_at, quantity: str = "1") -> dict:
    return {"resource_kind": "droplet", "resource_id": resource_id, "started_at": started_at,
            "deployment_id": deployment, "size_slug": "s-1vcpu-2gb", "quantity": quantity, "ended_at": ended_at,
            "last_seen_at": ended_at}


def _add_bad_intervals(engine) -> None:
    m = t.metered_resources
    with engine.begin() as c:
        c.execute(sa.insert(m), [_interval(OLD_BROKEN[0], "d0000010", at(2025, 1, 1), at(2025, 2, 1), "-1"),
                                 _interval(OLD_BROKEN[1], "d0000010", at(2025, 3, 1), at(2025, 2, 1))])
        c.execute(sa.insert(m), [_interval(UNREADABLE, "d0000006", at(2024, 1, 1), at(2024, 2, 1))])
        # an end epoch_us cannot read, after a start long before April: only "unreadable" makes it matter
        bad_end = "'not a time'" if c.dialect.name == "sqlite" else "'-infinity'"
        c.exec_driver_sql(f"UPDATE metered_resources SET ended_at = {bad_end} WHERE resource_id = '{UNREADABLE}'")


def test_closed_history_changes_nothing_in_the_month(engine, warehouse_url):
    generate(warehouse_url, 12, history_months=24)
    _add_bad_intervals(engine)
    with_history = _month(engine)
    m = t.metered_resources
    with engine.begin() as c:
        gone = c.execute(sa.delete(m).where(m.c.ended_at <= PERIOD.start_at, m.c.resource_id != UNREADABLE)).rowcount
    assert gone > 12 * 10 * 9  # about 10 closed intervals per resource, 10 resources per tenant
    without = _month(engine)
    assert with_history == without
    assert {(tenant, rule) for tenant, rule, *_ in without["errors"]} == {("t000003", "unreadable_timestamp")}
    assert any(r["tenant_id"] == "t000005" for r in without["usage"])
    assert not any(r["resource_id"] in OLD_BROKEN for r in with_history["evidence"])


def _plan(conn, query: sa.Select) -> str:
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return " ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: whether the index can serve
    return " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))


def test_the_month_reads_metered_intervals_through_relevant_until(engine, warehouse_url):
    generate(warehouse_url, 30, history_months=24)
    dialect = dialect_of(engine)
    queries = [usage.evidence_rows(PERIOD), usage.suspect_intervals(PERIOD, dialect),
               usage.bad_intervals(PERIOD, dialect)]
    if dialect.decimals_as_text:
        queries.append(usage.sizes_sqlite_cannot_multiply(PERIOD))
    with engine.begin() as c:
        c.exec_driver_sql("ANALYZE")
        for query in queries:
            plan = _plan(c, query)
            assert "relevant_until" in plan and "ix_metered_resources_deployment " not in plan + " ", plan
