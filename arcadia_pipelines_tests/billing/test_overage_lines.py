"""Overage lines are priced once per usage value and handed out again: the same value in any
exact form gets the same line, errors are never remembered, and the memory stays bounded."""

from decimal import Decimal
from fractions import Fraction as F

import pytest

from arcadia_pipelines.billing import quote as engine
from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.quote import quote_subscription
from arcadia_pipelines_tests.billing.test_quote_rules import APRIL, STUDIO, book, sub


def overage(b, used):
    return quote_subscription(b, APRIL, sub(), {"droplet_hours": used}).lines[-1]


def test_equal_usage_in_any_exact_form_gets_the_same_line():
    b = book(STUDIO)
    first = overage(b, Decimal("2160.50"))
    assert (first.description, first.quantity, first.amount_cents) == \
        ("Overage: droplet_hours (2160.5 used, 1488 included)", F(1345, 2), 673)
    for same in (Decimal("2160.5"), Decimal("2160.500000"), F(4321, 2)):
        assert overage(b, same) is first
    assert overage(b, 2161).amount_cents == 673 and overage(b, 2161).description.startswith(
        "Overage: droplet_hours (2161 used")


def test_a_line_is_the_same_as_a_fresh_price_books():
    shared = book(STUDIO)
    for used in (Decimal("1488"), Decimal("1488.004"), Decimal("2000"), F(10**7, 3), 5000):
        overage(shared, used)
        assert quote_subscription(shared, APRIL, sub(), {"droplet_hours": used}) == \
            quote_subscription(book(STUDIO), APRIL, sub(), {"droplet_hours": used})


def test_errors_are_raised_every_time_and_name_the_value_as_given():
    b = book(STUDIO)
    for _ in range(2):
        with pytest.raises(BillingError, match=r"droplet_hours usage is -1\.0$"):
            overage(b, Decimal("-1.0"))
        with pytest.raises(BillingError) as e:
            overage(b, F(1488 + 2 * 10**11))
        assert e.value.rule == "line_amount_out_of_bounds" and e.value.subscription_id == "s1"


def test_the_remembered_lines_are_bounded(monkeypatch):
    monkeypatch.setattr(engine, "OVERAGE_LINES_KEPT", 3)
    b = book(STUDIO)
    lines = [overage(b, 2000 + n) for n in range(10)]
    allowance = next(v for k, v in b.derived.items() if k[0] == "plan").allowances[0]
    assert len(allowance._lines) <= 3
    assert [line.amount_cents for line in lines] == [512 + n for n in range(10)]
    assert overage(b, 2000) == lines[0]
