"""Provisioning-time quotes: a whole month of a plan, addons and expected usage, with tax.

It prices through `quote_subscription` and `draft_invoice`, exactly as the month-end rollup
does, so the quote a tenant sees equals the invoice it later gets for the same inputs."""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping, Sequence

from .bounds import check_subtotal
from .invoice import InvoiceDraft, draft_invoice
from .periods import Period
from .pricebook import PriceBook
from .quote import SubscriptionTerms, quote_subscription


def provisioning_quote(book: PriceBook, period: Period, plan_code: str,
                       addons: Sequence[tuple[str, int]], usage: Mapping[str, Fraction],
                       country: str) -> InvoiceDraft:
    terms = SubscriptionTerms(id="quote", tenant_id="quote", deployment_id="quote", plan_code=plan_code,
                              status="active", started_at=period.start_at, ended_at=None,
                              addons=tuple(addons))
    quote = quote_subscription(book, period, terms, usage)
    check_subtotal(terms.tenant_id, quote.subtotal_cents)
    return draft_invoice(terms.tenant_id, [quote], book.tax_rate(country, period.start))
