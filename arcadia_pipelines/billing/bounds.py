"""Plausibility bounds on source values, and the conversions that hold values to them.

A value outside these bounds is bad input for the tenants it would bill (a named BillingError),
never a bill. Each bound is far above anything real, and together they keep every amount far
below what the 64-bit integer cents columns hold (9.2e18): a line is at most MAX_LINE_CENTS, a
tenant's subtotal at most MAX_INVOICE_CENTS, and tax (a rate of at most 1) at most the subtotal,
so no line, sum of lines, tax or total can overflow a column or a SQL sum.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from .errors import BillingError
from .money import to_decimal

# Size of one metered interval by resource kind: the contract counts a droplet as 1, and
# DigitalOcean's largest volume is 16 TiB (16,384 GiB).
MAX_RESOURCE_QUANTITY = {"droplet": 1, "volume": 16_384}

# A plan's base price or one unit of an addon, per month: 100 million in the currency. The
# dearest real plan is many orders of magnitude below; a typo (a price in micro-units, an extra
# few zeros) is not.
MAX_PRICE_CENTS = 10**10

# Units of one addon on one subscription: a million.
MAX_ADDON_QUANTITY = 10**6

# One unit of overage (a droplet hour or a GB-hour): 10,000 in the currency. The largest GPU
# droplets cost well under 100 an hour.
MAX_UNIT_PRICE_CENTS = 10**6

# A plan meter's monthly allowance: 10^12 units. A thousand 16 TiB volumes all month are 1.2e10
# GB-hours; an allowance only lowers a bill, so this bound only keeps the number finite and sane.
MAX_INCLUDED_QUANTITY = 10**12

# One invoice line: 1 billion in the currency (10^11 cents).
MAX_LINE_CENTS = 10**11

# A tenant's monthly subtotal: 10 billion in the currency (10^12 cents), 9 million times below
# the largest BIGINT, so SQL sums of a tenant's lines and the total with tax cannot overflow.
MAX_INVOICE_CENTS = 10**12

# A tax rate is a fraction of the subtotal: from 0 (no tax) to 1 (100%), with at most 12 decimals:
# invoices store the rate they applied (`tenant_invoices.tax_rate`) to 12 decimals, and checks
# recompute their tax from it.
MAX_TAX_RATE = 1
MAX_TAX_RATE_PLACES = 12

# A tenant's payment terms (`tenants.payment_terms_days`): from 0 (due on issue) to ten years. Real
# terms are 7 to 90 days; a bound keeps an issued invoice's due date a real date (2,920,000 days
# would pass the year 9999).
MAX_PAYMENT_TERMS_DAYS = 3650

# An exchange rate (`fx_rates.rate`), either way round: from 10^-7 to 10^7. The weakest currencies
# trade at about 10^5 to the dollar; a converted cost stays far inside the cents columns.
MAX_FX_RATE = 10**7


def whole_number(value: object, what: str, rule: str = "invalid_number") -> int:
    """An integer column's value as int. SQLite keeps whatever it was given ('two', 1.5)."""
    if type(value) is int:
        return value
    raise BillingError(rule, f"{what} is {value!r}, not a whole number")


def exact_number(value: object, what: str, rule: str = "invalid_number") -> Fraction:
    """An exact decimal column's value as a Fraction: finite int, Decimal or Fraction only
    (never a float, never text that a column type could not read)."""
    if type(value) is int or isinstance(value, Fraction):
        return Fraction(value)
    if isinstance(value, Decimal) and value.is_finite():
        return Fraction(value)
    raise BillingError(rule, f"{what} is {value!r}, not a number")


def problem_with(value: Fraction | int, what: str, upper: int | Fraction, *, negative_rule: str,
                 upper_rule: str) -> tuple[str, str] | None:
    """(rule, message) when `value` is negative or above `upper`, else None."""
    if value < 0:
        return negative_rule, f"{what} is {_text(value)}, negative"
    if value > upper:
        return upper_rule, f"{what} is {_text(value)}, more than {_text(upper)} (billing/bounds.py)"
    return None


def check_line(description: str, amount_cents: int) -> None:
    if abs(amount_cents) > MAX_LINE_CENTS:
        raise BillingError("line_amount_out_of_bounds",
                           f"line {description!r} comes to {amount_cents} cents, more than "
                           f"{MAX_LINE_CENTS} (billing/bounds.py)")


def check_subtotal(tenant_id: str, subtotal_cents: int) -> None:
    if abs(subtotal_cents) > MAX_INVOICE_CENTS:
        raise BillingError("invoice_total_out_of_bounds",
                           f"the month's lines come to {subtotal_cents} cents, more than {MAX_INVOICE_CENTS} "
                           f"(billing/bounds.py)", tenant_id=tenant_id)


def _text(value: Fraction | int) -> str:
    return f"{to_decimal(value, 12):f}"
