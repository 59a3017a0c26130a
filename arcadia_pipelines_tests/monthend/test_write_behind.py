"""Bulk inserts on the write-behind thread: done when the block ends, errors not swallowed."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from arcadia_pipelines.monthend.write_behind import WriteBehind
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines_tests.builders import rows

COLUMNS = [c.name for c in t.deployment_quotes.columns]


def batch(first: int, n: int) -> list[tuple]:
    return [(date(2026, 4, 1), f"s{i:04d}", 1, "t", "d", datetime(2026, 4, 1, tzinfo=timezone.utc),
             datetime(2026, 5, 1, tzinfo=timezone.utc), "plan_base", "plan", None, "Plan", Decimal(1),
             Decimal(100), 100, "AUD") for i in range(first, first + n)]


def test_every_batch_is_written_by_the_end_of_the_block(engine):
    with engine.begin() as c, WriteBehind(c) as writer:
        for k in range(5):
            writer.write(t.deployment_quotes, batch(k * 300, 300), COLUMNS)
    assert len(rows(engine, t.deployment_quotes)) == 1500


def test_a_failed_write_fails_the_block_and_its_transaction_writes_nothing(engine):
    with pytest.raises(engine.dialect.dbapi.IntegrityError):
        with engine.begin() as c, WriteBehind(c) as writer:
            writer.write(t.deployment_quotes, batch(0, 300), COLUMNS)
            writer.write(t.deployment_quotes, batch(299, 300), COLUMNS)  # s0299 again: duplicate key
    assert rows(engine, t.deployment_quotes) == []


def test_a_failure_while_a_write_is_pending_rolls_everything_back(engine):
    with pytest.raises(RuntimeError, match="quote engine"):
        with engine.begin() as c, WriteBehind(c) as writer:
            writer.write(t.deployment_quotes, batch(0, 3000), COLUMNS)
            raise RuntimeError("the quote engine failed on the next batch")
    assert rows(engine, t.deployment_quotes) == []
