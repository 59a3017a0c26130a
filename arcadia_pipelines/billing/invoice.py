"""A tenant's invoice for a period: its subscriptions' lines, one tax line, totals (rule 5)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable

from .errors import BillingError
from .money import round_ratio
from .pricebook import TaxRate
from .quote import QuoteLine, SubscriptionQuote


@dataclass(frozen=True)
class InvoiceTotals:
    currency: str
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    tax_line: QuoteLine | None
    tax_rate: TaxRate | None  # the rate applied, which the invoice keeps


def one_currency(tenant_id: str, currencies: Iterable[str]) -> str:
    distinct = sorted(set(currencies))
    if len(distinct) != 1:
        raise BillingError("mixed_currencies",
                           f"one invoice needs one currency, the plans use {', '.join(distinct) or 'none'}",
                           tenant_id=tenant_id)
    return distinct[0]


def invoice_totals(currency: str, subtotal_cents: int, tax_rate: TaxRate | None) -> InvoiceTotals:
    """Tax is charged once on the tenant's subtotal, rounded half up; no rate -> no tax line."""
    if tax_rate is None:
        return InvoiceTotals(currency, subtotal_cents, 0, subtotal_cents, None, None)
    tax = round_ratio(subtotal_cents * tax_rate.rate.numerator, tax_rate.rate.denominator)
    line = QuoteLine("tax", None, None, tax_rate.description, tax_rate.rate,
                     Fraction(subtotal_cents), tax)
    return InvoiceTotals(currency, subtotal_cents, tax, subtotal_cents + tax, line, tax_rate)


@dataclass(frozen=True)
class InvoiceDraft:
    tenant_id: str
    totals: InvoiceTotals
    lines: tuple[tuple[SubscriptionQuote, QuoteLine], ...]


def draft_invoice(tenant_id: str, quotes: Iterable[SubscriptionQuote],
                  tax_rate: TaxRate | None) -> InvoiceDraft:
    """The whole invoice in memory, as `arcadia-pipelines quote` shows it."""
    quotes = list(quotes)
    currency = one_currency(tenant_id, (q.currency for q in quotes))
    subtotal = sum(q.subtotal_cents for q in quotes)
    lines = tuple((q, line) for q in quotes for line in q.lines)
    return InvoiceDraft(tenant_id, invoice_totals(currency, subtotal, tax_rate), lines)
