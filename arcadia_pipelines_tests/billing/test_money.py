from decimal import Decimal
from fractions import Fraction as F

import pytest

from arcadia_pipelines.billing.money import exact, format_cents, round_half_up, to_decimal
from arcadia_pipelines.billing.periods import Period


@pytest.mark.parametrize("value, cents", [
    (F(1, 2), 1), (F(3, 2), 2), (F(5, 2), 3), (Decimal("642.5"), 643), (Decimal("642.4999"), 642),
    (F(-1, 2), -1), (Decimal("-2.5"), -3), (0, 0),
])
def test_round_half_up_is_exact_and_away_from_zero(value, cents):
    assert round_half_up(value) == cents


def test_floats_never_become_money():
    with pytest.raises(TypeError, match="exact"):
        exact(0.1, "unit price")
    assert exact("0.1") == F(1, 10)
    with pytest.raises(ValueError, match="not a number"):
        exact("ten cents")


def test_storage_decimals_and_dollar_formatting():
    assert to_decimal(F(1, 3)) == Decimal("0.333333")
    assert to_decimal(F(672)) == Decimal(672)
    assert format_cents(7064) == "70.64"
    assert format_cents(-5) == "-0.05"
    assert format_cents(123456789) == "1,234,567.89"


@pytest.mark.parametrize("text", ["2026-13", "2026-4", "April", "2026-04-02", ""])
def test_periods_reject_what_is_not_a_month(text):
    with pytest.raises(ValueError, match="YYYY-MM"):
        Period.parse(text)


def test_period_bounds_and_days():
    feb = Period.parse("2028-02-01")
    assert (feb.days, feb.end.isoformat(), feb.key, feb.label) == (29, "2028-03-01", "2028-02-01", "2028-02")
    assert Period.parse("2026-12").end.isoformat() == "2027-01-01"
