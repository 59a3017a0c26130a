"""Exact money: Decimal/Fraction in, integer cents out, half up, never through float."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from fractions import Fraction

Exact = Decimal | Fraction | int


def exact(value: object, what: str = "value") -> Fraction:
    """An exact rational from an int, Decimal, Fraction or decimal string; floats are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what} must be exact (int, Decimal or string), got {value!r}")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what} must be a finite number, got {value}")
        return Fraction(value)
    if isinstance(value, str):
        try:
            return exact(Decimal(value.strip()), what)
        except InvalidOperation:
            raise ValueError(f"{what} is not a number: {value!r}") from None
    raise TypeError(f"{what} must be a number, got {type(value).__name__}")


def round_half_up(value: Exact) -> int:
    """Round to a whole number, halves away from zero (Decimal's ROUND_HALF_UP), exactly."""
    q = Fraction(value)
    magnitude = math.floor(abs(q) + Fraction(1, 2))
    return magnitude if q >= 0 else -magnitude


def to_decimal(value: Exact, places: int = 6) -> Decimal:
    """A Decimal for storage and display; exact when the value has at most `places` decimals."""
    q = Fraction(value)
    scaled = round_half_up(q * 10**places)
    return (Decimal(scaled) / Decimal(10**places)).normalize() if scaled else Decimal(0)


def format_cents(cents: int) -> str:
    """12345 -> '123.45' (minus sign kept), for people."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d}"
