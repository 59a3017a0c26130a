"""Invoices and quotes as plain-text tables for the terminal, amounts in dollars."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Sequence

from arcadia_pipelines.billing.money import format_cents


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.4f}".rstrip("0")


def render_invoice(title: str, currency: str, lines: Iterable[Sequence], subtotal: int, tax: int,
                   total: int, tax_label: str = "tax") -> str:
    """`lines` are (description, quantity, unit_price_cents, amount_cents), tax lines excluded.
    Unit prices stay in cents: they may be fractions of a cent."""
    rows = [(d, _qty(Decimal(q)), _qty(Decimal(u)), format_cents(a)) for d, q, u, a in lines]
    width = max([len(r[0]) for r in rows] + [30])
    out = [title, f"  {'description':<{width}}  {'qty':>10}  {'cents/unit':>10}  {'amount':>10}"]
    out += [f"  {d:<{width}}  {q:>10}  {u:>10}  {a:>10}" for d, q, u, a in rows]
    rule = " " * (width + 26) + "-" * 12
    out += [rule,
            f"  {'subtotal':<{width + 24}}  {format_cents(subtotal):>10}",
            f"  {tax_label:<{width + 24}}  {format_cents(tax):>10}",
            f"  {'total ' + currency:<{width + 24}}  {format_cents(total):>10}"]
    return "\n".join(out)
