"""usage_evidence: the metered intervals behind every usage figure, on SQLite and PostgreSQL.

Every overage line's usage is the sum of its evidence rows, and each row's hours are checked
against an independent recomputation in Python from metered_resources and subscriptions."""

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from math import ceil

import pytest
import sqlalchemy as sa

from arcadia_pipelines.billing.money import to_decimal
from arcadia_pipelines.demo.seed import seed
from arcadia_pipelines.monthend.explain import invoice_lines, invoice_row, line_usage
from arcadia_pipelines.monthend import audits
from arcadia_pipelines.monthend.usage import write_usage
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import World, at, rows
from benchmarks.generate import PERIOD, generate

from .rollup import APRIL, rollup


def expected_hours(engine, evidence_row) -> int:
    """ceil(overlap / 1 h) of the interval with its subscription's window, in Python."""
    m, s = t.metered_resources, t.subscriptions
    with engine.connect() as c:
        interval = c.execute(sa.select(m).where(m.c.resource_kind == evidence_row["resource_kind"],
                                                m.c.resource_id == evidence_row["resource_id"],
                                                m.c.started_at == evidence_row["started_at"])).one()
        sub = c.execute(sa.select(s).where(s.c.id == evidence_row["subscription_id"])).one()
    lo = max(interval.started_at, sub.started_at, APRIL.start_at)
    hi = min(interval.ended_at or APRIL.end_at, sub.ended_at or APRIL.end_at, APRIL.end_at)
    assert (evidence_row["window_start"], evidence_row["window_end"]) == (lo, hi)
    return ceil((hi - lo).total_seconds() / 3600)


def overage_lines_add_up(engine) -> int:
    """Assert, for every overage line: its evidence rows sum exactly to the subscription's usage and
    to the "used" its description shows, and usage - included is the line's quantity. Returns how
    many overage lines there were."""
    evidence = defaultdict(list)
    for r in rows(engine, t.usage_evidence):
        evidence[(r["subscription_id"], r["meter"])].append(r)
    usage = {(u["subscription_id"], u["meter"]): u["quantity"] for u in rows(engine, t.deployment_usage)}
    assert set(evidence) == {k for k, q in usage.items() if q}  # no usage without evidence, nor the other way
    overage = rows(engine, t.tenant_invoice_lines, kind="overage")
    for line in overage:
        own = evidence[(line["subscription_id"], line["meter"])]
        total = sum((Fraction(r["quantity"]) for r in own), Fraction(0))
        assert total == usage[(line["subscription_id"], line["meter"])]
        assert all(r["quantity"] == r["hours"] * r["size"] and r["hours"] >= 1 for r in own)
        assert f"({to_decimal(total, 2):f} used," in line["description"]
    return len(overage)


def test_the_worked_example_is_three_droplets_of_720_hours(engine):
    World(engine).worked_example()
    rollup(engine)
    evidence = rows(engine, t.usage_evidence, order_by="resource_id")
    assert [(r["resource_id"], r["hours"], r["size"], r["quantity"]) for r in evidence] == [
        (f"pilot-droplet-{n}", 720, Decimal(1), Decimal(720)) for n in range(3)]
    assert {(r["window_start"], r["window_end"], r["meter"], r["tenant_id"]) for r in evidence} == {
        (at(2026, 4, 1), at(2026, 5, 1), "droplet_hours", "pilot")}
    assert overage_lines_add_up(engine) == 1


def test_the_usage_result_counts_what_was_written(engine):
    """The evidence row count comes from the database on both (Python's sqlite3 has none for WITH …)."""
    World(engine).worked_example()
    result = write_usage(engine, APRIL)
    assert (result.evidence_rows, result.rows, result.subscriptions) == (3, 1, 1)
    assert result.by_meter == {"droplet_hours": Decimal(2160)}
    assert len(rows(engine, t.usage_evidence)) == 3


def test_every_overage_line_of_the_demo_is_its_evidence(engine):
    with engine.begin() as c:
        seed(c)
    rollup(engine)
    assert overage_lines_add_up(engine) == 4  # pilot, harbour's volume, kiwi, the starter half of switch
    for r in rows(engine, t.usage_evidence):
        assert r["hours"] == expected_hours(engine, r)
    with engine.connect() as c:
        for invoice in c.execute(sa.select(t.tenant_invoices)).all():
            for line in invoice_lines(c, invoice.id):
                explained = line_usage(c, invoice_row(c, invoice.id), line)
                assert (explained["summary"] is None) == (line.kind != "overage")
                if explained["summary"]:
                    assert explained["summary"]["matches_line"] and explained["note"] is None


def test_every_overage_line_of_a_1000_tenant_month_is_its_evidence(engine, warehouse_url):
    generate(warehouse_url, 1000)
    result = rollup(engine, PERIOD)
    assert len(result.created) == 1000
    assert overage_lines_add_up(engine) > 500
    evidence = rows(engine, t.usage_evidence)
    assert len(evidence) > 9000  # 10 intervals per tenant, a few outside a late subscription's window
    for r in evidence[::97]:  # a spread sample against the Python recomputation
        assert r["hours"] == expected_hours(engine, r)
    with engine.connect() as c:
        assert audits.usage_not_matching_evidence(c, PERIOD) == []


def test_partial_hours_and_fractional_sizes_are_exact_in_the_evidence(engine):
    """A fractional size sends SQLite to its Python path: evidence and usage from the same products."""
    w = World(engine)
    w.plan("studio", 0, meters=[("droplet_hours", "droplet", 0, 1), ("volume_gb_hours", "volume", 0, "0.1")])
    w.tenant("t1").deployment("d1", "t1").subscription("s1", "t1", "d1", "studio", at(2026, 4, 1))
    w.resource("d1", "a", at(2026, 4, 2, 10), at(2026, 4, 2, 10, 0, 1))                 # 1 s -> 1 h
    w.resource("d1", "b", at(2026, 3, 31, 23, 30), at(2026, 4, 1, 0, 30))               # 30 min inside
    w.resource("d1", "old", at(2026, 2, 1), at(2026, 3, 1))                             # another month
    w.resource("d1", "v", at(2026, 4, 30, 21), kind="volume", quantity="0.1000000000000000001", size_slug=None)
    rollup(engine)
    evidence = {r["resource_id"]: (r["hours"], r["quantity"], r["window_start"])
                for r in rows(engine, t.usage_evidence)}
    assert evidence == {"a": (1, Decimal(1), at(2026, 4, 2, 10)), "b": (1, Decimal(1), at(2026, 4, 1)),
                        "v": (3, Decimal("0.3000000000000000003"), at(2026, 4, 30, 21))}
    usage = {u["meter"]: u["quantity"] for u in rows(engine, t.deployment_usage)}
    assert usage == {"droplet_hours": Decimal(2), "volume_gb_hours": Decimal("0.3000000000000000003")}
    with engine.connect() as c:
        assert audits.usage_not_matching_evidence(c, APRIL) == []


def test_a_rerun_replaces_the_evidence_and_bad_input_gets_none(engine):
    w = World(engine).worked_example()
    w.example_tenant("broken")
    w.resource("dep-broken", "negative", at(2026, 4, 3), quantity=-1)
    rollup(engine)
    rollup(engine)
    evidence = rows(engine, t.usage_evidence)
    assert sorted(r["resource_id"] for r in evidence) == [f"pilot-droplet-{n}" for n in range(3)]
    assert not rows(engine, t.deployment_usage, tenant_id="broken")


@pytest.mark.parametrize("tamper, says", [
    (lambda c: c.execute(sa.update(t.usage_evidence).where(t.usage_evidence.c.resource_id == "pilot-droplet-0")
                         .values(quantity=Decimal(719))), "usage 2160, its 3 evidence row(s) sum to 2159"),
    (lambda c: c.execute(sa.delete(t.usage_evidence)), "usage 2160 without evidence"),
    (lambda c: c.execute(sa.delete(t.deployment_usage)), "3 evidence row(s) summing to 2160 but no usage"),
    (lambda c: c.execute(sa.update(t.usage_evidence).where(t.usage_evidence.c.resource_id == "pilot-droplet-0")
                         .values(quantity=Decimal("720.5"))), "sum to 2160.5"),
])
def test_the_audit_names_evidence_that_does_not_add_up(engine, tamper, says):
    from arcadia_pipelines.defs.invoicing.checks import _evidence_mismatch

    World(engine).worked_example()
    rollup(engine)
    with engine.begin() as c:
        tamper(c)
    with engine.connect() as c:
        [found] = audits.usage_not_matching_evidence(c, APRIL)
    assert (found.tenant_id, found.subscription_id, found.meter) == ("pilot", "sub-pilot", "droplet_hours")
    assert says in _evidence_mismatch(found)
