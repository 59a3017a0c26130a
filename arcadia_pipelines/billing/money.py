"""Exact money: Decimal/Fraction in, integer cents out, half up, never through float."""

from __future__ import annotations

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


def _ratio(value: Exact) -> tuple[int, int]:
    """(numerator, denominator) without building a Fraction when the value already is one."""
    if isinstance(value, (int, Fraction)):
        return value.numerator, value.denominator
    return value.as_integer_ratio()


def round_half_up(value: Exact) -> int:
    """Round to a whole number, halves away from zero (Decimal's ROUND_HALF_UP), exactly.

    Integer arithmetic on the ratio: floor(|n|/d + 1/2) = (2|n| + d) // 2d."""
    n, d = _ratio(value)
    magnitude = (2 * abs(n) + d) // (2 * d)
    return magnitude if n >= 0 else -magnitude


def to_decimal(value: Exact, places: int = 6) -> Decimal:
    """A Decimal for storage and display; exact when the value has at most `places` decimals."""
    n, d = _ratio(value)
    scaled = (2 * abs(n) * 10**places + d) // (2 * d)
    if not scaled:
        return Decimal(0)
    return Decimal(scaled if n >= 0 else -scaled).scaleb(-places).normalize()


def format_cents(cents: int) -> str:
    """12345 -> '123.45' (minus sign kept), for people."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d}"
