"""The month-to-date preview: the invoice a tenant's running month would produce, never stored.

Two answers, both from the month-end's own engine (recompute.py): `metered_so_far`, usage
metered through `as_of`, and `projected_month_end`, every resource running at `as_of` assumed
to keep running to the end of its subscription's window in the month. Plan and addon fees are
the month's, as the subscriptions stand. As of the month's last instant both equal the invoice
the month-end writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import InvoiceDraft
from arcadia_pipelines.billing.money import decimal_text, to_decimal
from arcadia_pipelines.billing.periods import Period, as_utc
from arcadia_pipelines.billing.quote import QuoteLine, SubscriptionQuote

from .recompute import PeriodInput, one_tenant, recompute
from .usage import AsOf

LABELS = {False: "metered_so_far", True: "projected_month_end"}


class UnknownTenant(LookupError):
    pass


class BadInput(ValueError):
    """The tenant's data breaks a billing rule: the month-end would not invoice it either."""

    def __init__(self, error: BillingError):
        super().__init__(str(error))
        self.rule = error.rule


def parse_as_of(text: str) -> datetime:
    """An ISO 8601 timestamp from 1970 to 9998; one without an offset is UTC."""
    try:
        moment = as_utc(datetime.fromisoformat(text.strip()))
        if 1970 <= moment.year <= 9998:
            return moment
    except (ValueError, TypeError, OverflowError):
        pass
    raise ValueError(f"as_of must be an ISO 8601 timestamp such as 2026-04-15T12:00:00Z, got {text[:40]!r}")


def running_month(as_of: datetime) -> Period:
    return Period(as_utc(as_of).date().replace(day=1))


@dataclass(frozen=True)
class Preview:
    tenant_id: str
    as_of: datetime
    period: Period
    metered_so_far: InvoiceDraft | None  # None: nothing billable in the month
    projected_month_end: InvoiceDraft | None

    def as_json(self) -> dict:
        return {"tenant_id": self.tenant_id, "as_of": self.as_of.isoformat().replace("+00:00", "Z"),
                "period": self.period.label, "period_start": self.period.start.isoformat(),
                "period_end": self.period.end.isoformat(), "stored": False,
                **{LABELS[projected]: _invoice_json(draft) for projected, draft in
                   ((False, self.metered_so_far), (True, self.projected_month_end))}}


def preview(conn: sa.Connection, tenant_id: str, as_of: datetime | None = None) -> Preview:
    """The tenant's running month (the UTC month holding `as_of`, default now) as known at `as_of`.
    Raises UnknownTenant, or BadInput naming the first rule its data breaks."""
    as_of = as_utc(as_of or datetime.now(timezone.utc))
    period = running_month(as_of)
    tenant_range = one_tenant(conn, tenant_id)
    if tenant_range is None:
        raise UnknownTenant(f"no tenant {tenant_id!r}")
    inputs = PeriodInput.read(conn, period)
    drafts = []
    for projected in (False, True):
        found = [r for r in recompute(conn, inputs, tenant_range, AsOf(as_of, projected)) if r.tenant_id == tenant_id]
        if found and found[0].errors:
            raise BadInput(found[0].errors[0])
        drafts.append(found[0].draft if found else None)
    return Preview(tenant_id, as_of, period, *drafts)


def invoice_order(draft: InvoiceDraft) -> list:
    """The draft's (quote, line) pairs in the order the month-end numbers invoice lines."""
    return sorted(draft.lines, key=lambda ql: (ql[0].subscription.deployment_id, ql[0].window.start_at,
                                               ql[0].subscription.id))


def _line_json(q: SubscriptionQuote | None, ln: QuoteLine) -> dict:
    """A line as the invoice API shows one; the tax line's quantity is its rate, its unit price the subtotal."""
    quantity, unit_price = (to_decimal(ln.quantity, 12), to_decimal(ln.unit_price_cents)) if q is None else (
        to_decimal(ln.quantity), to_decimal(ln.unit_price_cents, 12))
    return {"kind": ln.kind, "deployment_id": q and q.subscription.deployment_id,
            "subscription_id": q and q.subscription.id, "resource_kind": ln.resource_kind, "meter": ln.meter,
            "description": ln.description, "quantity": decimal_text(quantity),
            "unit_price_cents": decimal_text(unit_price), "amount_cents": ln.amount_cents}


def _invoice_json(draft: InvoiceDraft | None) -> dict:
    if draft is None:
        return {"currency": None, "lines": [], "subtotal_cents": 0, "tax_cents": 0, "total_cents": 0,
                "tax_name": None, "tax_rate": None}
    t = draft.totals
    lines = [_line_json(q, ln) for q, ln in invoice_order(draft)]
    lines += [_line_json(None, t.tax_line)] if t.tax_line else []
    return {"currency": t.currency, "lines": lines, "subtotal_cents": t.subtotal_cents, "tax_cents": t.tax_cents,
            "total_cents": t.total_cents, "tax_name": t.tax_rate.name if t.tax_rate else None,
            "tax_rate": decimal_text(to_decimal(t.tax_rate.rate, 12)) if t.tax_rate else None}
