"""DigitalOcean money strings ("12.34", "-0.50") to integer cents, exactly."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

_AMOUNT = re.compile(r"-?\d+(\.\d+)?")


def amount_to_cents(value: str) -> int:
    """USD amount string -> cents, halves rounded away from zero ("0.005" -> 1, "-0.005" -> -1).

    Only plain decimals are accepted: no exponents, NaN, thousands separators or floats.
    """
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value.strip()):
        raise ValueError(f"not a DigitalOcean money amount: {value!r}")
    cents = (Decimal(value.strip()) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(cents)
