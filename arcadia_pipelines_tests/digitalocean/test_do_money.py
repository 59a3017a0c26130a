"""DigitalOcean money strings become exact integer cents."""

from __future__ import annotations

import pytest

from arcadia_pipelines.digitalocean import amount_to_cents


@pytest.mark.parametrize(
    "amount, cents",
    [
        ("12.34", 1234),
        ("-0.50", -50),
        ("0.1", 10),
        ("0", 0),
        ("0.005", 1),  # half up, not banker's rounding and not float's 0.49999...
        ("0.015", 2),
        ("-0.005", -1),  # halves go away from zero
        ("0.0049", 0),
        ("1234567890123.45", 123456789012345),  # beyond float's exact range
        (" 7.00 ", 700),
    ],
)
def test_amounts_become_exact_cents(amount, cents):
    assert amount_to_cents(amount) == cents


@pytest.mark.parametrize("garbage", ["", "abc", "1e3", "NaN", "Infinity", "1,000.00", "12.3.4", "+-1", "$5", 12.34, None])
def test_malformed_amounts_are_rejected_naming_the_value(garbage):
    with pytest.raises(ValueError) as caught:
        amount_to_cents(garbage)
    assert repr(garbage) in str(caught.value)
