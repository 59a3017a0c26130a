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


def ratio(value: Exact) -> tuple[int, int]:
    """(numerator, denominator), d > 0, without building a Fraction when the value is not one.

    Exact types are tested first: isinstance against Fraction's ABC is slow on this hot path."""
    kind = type(value)
    if kind is Decimal:
        return value.as_integer_ratio()
    if kind is int or kind is Fraction:
        return value.numerator, value.denominator
    if isinstance(value, bool) or not isinstance(value, (int, Fraction, Decimal)):
        raise TypeError(f"expected an exact number (int, Decimal or Fraction), got {value!r}")
    q = Fraction(value)
    return q.numerator, q.denominator


def round_ratio(n: int, d: int) -> int:
    """n / d (d > 0) rounded to a whole number, halves away from zero, in integer arithmetic:
    floor(|n|/d + 1/2) = (2|n| + d) // 2d."""
    magnitude = (2 * abs(n) + d) // (2 * d)
    return magnitude if n >= 0 else -magnitude


def round_half_up(value: Exact) -> int:
    """Round to a whole number, halves away from zero (Decimal's ROUND_HALF_UP), exactly."""
    return round_ratio(*ratio(value))


def to_decimal(value: Exact, places: int = 6) -> Decimal:
    """A Decimal for storage and display; exact when the value has at most `places` decimals.

    Trailing zeros are dropped but whole numbers keep exponent 0 (1500, not 1.5E+3)."""
    return decimal_of_ratio(*ratio(value), places)


def decimal_of_ratio(n: int, d: int, places: int = 6) -> Decimal:
    """`to_decimal` of n / d (d > 0, in lowest terms or not), without building a Fraction."""
    if d == 1:  # whole numbers, most of a month-end's quantities and prices
        return Decimal(n)
    unit = 10**places
    scaled = (2 * abs(n) * unit + d) // (2 * d)
    if n < 0:
        scaled = -scaled
    if not scaled % unit:
        return Decimal(scaled // unit)
    return Decimal(scaled).scaleb(-places).normalize()


def decimal_text(value: Decimal) -> str:
    """Fixed-point text of a Decimal, never exponent form ('0.000000000001', not '1E-12')."""
    return f"{value:f}"


def format_cents(cents: int) -> str:
    """12345 -> '123.45' (minus sign kept), for people."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d}"
