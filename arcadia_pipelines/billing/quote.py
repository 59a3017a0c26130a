"""The quote engine: one subscription, one period, its usage -> priced lines (contract rules 1-4).

`quote_subscription` serves both the provisioning-time quote and the month-end invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Mapping, NoReturn

from .errors import BillingError
from .money import round_half_up, to_decimal
from .periods import Period, Window, as_utc
from .pricebook import METER_RESOURCE_KINDS, PriceBook

KIND_ORDER = {"plan_base": 0, "addon": 1, "overage": 2, "tax": 3}
NOTHING_USED = Fraction(0)


@dataclass(frozen=True)
class SubscriptionTerms:
    """What a subscription says: plan, addons and the time it runs."""

    id: str
    tenant_id: str
    deployment_id: str
    plan_code: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    addons: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class QuoteLine:
    kind: str
    resource_kind: str | None
    meter: str | None
    description: str
    quantity: Fraction
    unit_price_cents: Fraction
    amount_cents: int


@dataclass(frozen=True)
class SubscriptionQuote:
    subscription: SubscriptionTerms
    currency: str
    window: Window
    lines: tuple[QuoteLine, ...]

    @property
    def proration(self) -> Fraction:
        return self.window.proration

    @property
    def subtotal_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


def _line(kind, resource_kind, meter, description, quantity, unit_price) -> QuoteLine:
    """Rule 4: the amount is rounded half up to whole cents once, from the exact product."""
    return QuoteLine(kind, resource_kind, meter, description, quantity, unit_price,
                     round_half_up(quantity * unit_price))


def check_terms(sub: SubscriptionTerms) -> None:
    """Subscription-level bad input that no price book can fix."""
    def bad(rule, message):
        raise BillingError(rule, message, tenant_id=sub.tenant_id, subscription_id=sub.id)

    if sub.status not in ("active", "cancelled"):
        bad("unknown_subscription_status", f"status {sub.status!r} is neither active nor cancelled")
    if sub.status == "cancelled" and sub.ended_at is None:
        bad("cancelled_without_ended_at", "a cancelled subscription must have ended_at")
    if sub.ended_at is not None and as_utc(sub.ended_at) < as_utc(sub.started_at):
        bad("ended_before_started", f"ended_at {sub.ended_at} is before started_at {sub.started_at}")
    for code, qty in sub.addons:
        if qty < 0:
            bad("negative_addon_quantity", f"addon {code!r} has quantity {qty}")


def quote_subscription(book: PriceBook, period: Period, sub: SubscriptionTerms,
                       usage: Mapping[str, Fraction]) -> SubscriptionQuote | None:
    """Lines for `sub` in `period`, or None when its [started_at, ended_at) misses the period.

    `usage` maps meter -> quantity measured inside the subscription's window.
    """
    check_terms(sub)
    window = period.window(sub.started_at, sub.ended_at)
    if window is None:
        return None
    try:
        return _price(book, period, sub, window, usage)
    except BillingError as e:
        raise BillingError(e.rule, e.message, tenant_id=sub.tenant_id, subscription_id=sub.id) from None


def _price(book, period, sub, window, usage) -> SubscriptionQuote:
    f = window.proration
    plan = book.plans.require(sub.plan_code, period.start)
    if plan.has_negative_price:
        _negative_price(f"plan {plan.code!r}")
    days = f"{f.numerator}/{f.denominator} of the month" if f != 1 else "full month"
    lines = [_line("plan_base", "plan", None, f"Plan: {plan.name} ({days})", f,
                   Fraction(plan.base_price_cents))]
    for code, qty in sub.addons:
        addon = book.addons.require(code, period.start)
        if addon.price_cents < 0:
            _negative_price(f"addon {addon.code!r}")
        if qty:
            lines.append(_line("addon", addon.resource_kind, None, f"Addon: {addon.code}",
                               qty * f, Fraction(addon.price_cents)))
    unknown = usage.keys() - METER_RESOURCE_KINDS.keys()
    if unknown:
        raise BillingError("unknown_meter", f"usage for unknown meter(s) {sorted(unknown)}")
    for m in plan.meters:
        if m.meter not in METER_RESOURCE_KINDS:
            raise BillingError("unknown_meter", f"plan {plan.code!r} prices unknown meter {m.meter!r}")
        if m.resource_kind != METER_RESOURCE_KINDS[m.meter]:
            raise BillingError("meter_kind_mismatch", f"plan {plan.code!r} says {m.meter} counts "
                               f"{m.resource_kind!r}; it counts {METER_RESOURCE_KINDS[m.meter]!r}")
        used = usage.get(m.meter, NOTHING_USED)
        if used < 0:
            raise BillingError("negative_usage", f"{m.meter} usage is {used}")
        included = m.included_quantity * f
        if used > included:
            lines.append(_line("overage", m.resource_kind, m.meter,
                               f"Overage: {m.meter} ({_num(used)} used, {_num(included)} included)",
                               used - included, m.overage_unit_price_cents))
    return SubscriptionQuote(sub, plan.currency, window, tuple(lines))


def _negative_price(what: str) -> NoReturn:
    raise BillingError("negative_price", f"{what} has a negative price or allowance")


def _num(q: Fraction) -> str:
    return f"{to_decimal(q, 2):f}"
