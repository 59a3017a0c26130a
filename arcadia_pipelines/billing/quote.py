"""The quote engine: one subscription, one period, its usage -> priced lines (contract rules 1-4).

`quote_subscription` serves both the provisioning-time quote and the month-end invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from functools import cached_property
from typing import Callable, Mapping

from .bounds import MAX_ADDON_QUANTITY, check_line, problem_with, whole_number
from .errors import BillingError
from .money import Exact, decimal_of_ratio, ratio, round_ratio
from .periods import Period, Window, as_utc
from .pricebook import METER_RESOURCE_KINDS, Addon, Plan, PlanMeter, PriceBook


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
    subtotal_cents: int  # the lines' amounts summed, once (a month-end reads it for every subscription)

    @property
    def proration(self) -> Fraction:
        return self.window.proration


def check_terms(sub: SubscriptionTerms) -> None:
    """Subscription-level bad input that no price book can fix."""
    def bad(rule, message):
        raise BillingError(rule, message, tenant_id=sub.tenant_id, subscription_id=sub.id)

    if sub.status not in ("active", "cancelled"):
        bad("unknown_subscription_status", f"status {sub.status!r} is neither active nor cancelled")
    if not isinstance(sub.started_at, datetime) or not isinstance(sub.ended_at, (datetime, type(None))):
        bad("unreadable_timestamp", f"started_at {sub.started_at!r}, ended_at {sub.ended_at!r}: not a timestamp")
    if sub.status == "cancelled" and sub.ended_at is None:
        bad("cancelled_without_ended_at", "a cancelled subscription must have ended_at")
    if sub.ended_at is not None and as_utc(sub.ended_at) < as_utc(sub.started_at):
        bad("ended_before_started", f"ended_at {sub.ended_at} is before started_at {sub.started_at}")
    for code, qty in sub.addons:
        try:
            qty = whole_number(qty, f"quantity of addon {code!r}")
        except BillingError as e:
            bad(e.rule, e.message)
        problem = problem_with(qty, f"quantity of addon {code!r}", MAX_ADDON_QUANTITY,
                               negative_rule="negative_addon_quantity", upper_rule="quantity_out_of_bounds")
        if problem:
            bad(*problem)


def quote_subscription(book: PriceBook, period: Period, sub: SubscriptionTerms,
                       usage: Mapping[str, Exact]) -> SubscriptionQuote | None:
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


def _price(book: PriceBook, period: Period, sub: SubscriptionTerms, window: Window,
           usage: Mapping[str, Exact]) -> SubscriptionQuote:
    days, month = window.days_touched, period.days
    plan = book.plans.require(sub.plan_code, period.start)
    prorated = _derived(book, ("plan", plan.code, plan.effective_from, days, month),
                        lambda: _prorate_plan(plan, Fraction(days, month)))
    lines = [prorated.base]
    for code, qty in sub.addons:
        addon = book.addons.require(code, period.start)
        if qty:
            lines.append(_derived(book, ("addon", addon.code, addon.effective_from, qty, days, month),
                                  lambda: _addon_line(addon, qty, Fraction(days, month))))
    if not usage.keys() <= METER_RESOURCE_KINDS.keys():
        raise BillingError("unknown_meter", f"usage for unknown meter(s) "
                                            f"{sorted(usage.keys() - METER_RESOURCE_KINDS.keys())}")
    for allowance in prorated.allowances:
        line = allowance.overage(usage.get(allowance.meter.meter, 0))
        if line:
            lines.append(line)
    return SubscriptionQuote(sub, plan.currency, window, tuple(lines), sum([line.amount_cents for line in lines]))


def _derived(book: PriceBook, key: tuple, compute: Callable[[], object]):
    """compute(), once per price book and key (a price version and a proration): a month-end
    asks for the same few of them for every subscription."""
    found = book.derived.get(key)
    if found is None:
        found = book.derived[key] = compute()
    return found


def _line(kind, resource_kind, meter, description, quantity: Fraction, unit_price: Fraction) -> QuoteLine:
    """Rule 4: the amount is rounded half up to whole cents once, from the exact product."""
    amount = round_ratio(quantity.numerator * unit_price.numerator, quantity.denominator * unit_price.denominator)
    check_line(description, amount)
    return QuoteLine(kind, resource_kind, meter, description, quantity, unit_price, amount)


# Overage lines an allowance remembers (by usage) before it starts afresh: memory stays flat.
OVERAGE_LINES_KEPT = 10_000


@dataclass(frozen=True)
class _Allowance:
    """One plan meter over one proration: usage above `included` is overage.

    Its line is a function of the usage's value alone, and metered usage repeats (whole hours,
    the same volume sizes): each line is priced once and handed out again for the same usage."""

    meter: PlanMeter
    included: Fraction
    problem: tuple[str, str] | None  # (rule, message): a plan meter the engine cannot price
    _lines: dict[tuple[int, int], QuoteLine | None] = field(default_factory=dict, init=False, repr=False,
                                                             compare=False)

    @cached_property
    def included_text(self) -> str:
        return _num(self.included)

    def overage(self, used: Exact) -> QuoteLine | None:
        if self.problem:
            raise BillingError(*self.problem)
        n, d = ratio(used)
        if n < 0:
            raise BillingError("negative_usage", f"{self.meter.meter} usage is {used}")
        try:
            return self._lines[n, d]
        except KeyError:
            if len(self._lines) >= OVERAGE_LINES_KEPT:
                self._lines.clear()
            line = self._lines[n, d] = self._overage(n, d)
            return line

    def _overage(self, n: int, d: int) -> QuoteLine | None:
        m, inc = self.meter, self.included
        over = n * inc.denominator - inc.numerator * d
        if over <= 0:
            return None
        return _line("overage", m.resource_kind, m.meter,
                     f"Overage: {m.meter} ({_num_of_ratio(n, d)} used, {self.included_text} included)",
                     Fraction(over, d * inc.denominator), m.overage_unit_price_cents)


@dataclass(frozen=True)
class _ProratedPlan:
    base: QuoteLine
    allowances: tuple[_Allowance, ...]


def _prorate_plan(plan: Plan, f: Fraction) -> _ProratedPlan:
    days = f"{f.numerator}/{f.denominator} of the month" if f != 1 else "full month"
    base = _line("plan_base", "plan", None, f"Plan: {plan.name} ({days})", f, Fraction(plan.base_price_cents))
    return _ProratedPlan(base, tuple(_Allowance(m, m.included_quantity * f, _meter_problem(plan, m))
                                     for m in plan.meters))


def _meter_problem(plan: Plan, m: PlanMeter) -> tuple[str, str] | None:
    if m.meter not in METER_RESOURCE_KINDS:
        return "unknown_meter", f"plan {plan.code!r} prices unknown meter {m.meter!r}"
    if m.resource_kind != METER_RESOURCE_KINDS[m.meter]:
        return "meter_kind_mismatch", (f"plan {plan.code!r} says {m.meter} counts {m.resource_kind!r}; "
                                       f"it counts {METER_RESOURCE_KINDS[m.meter]!r}")
    return None


def _addon_line(addon: Addon, qty: int, f: Fraction) -> QuoteLine:
    return _line("addon", addon.resource_kind, None, f"Addon: {addon.code}", qty * f, Fraction(addon.price_cents))


def _num(q: Exact) -> str:
    return _num_of_ratio(*ratio(q))


def _num_of_ratio(n: int, d: int) -> str:
    """n / d (d > 0) as a description shows it: to 2 decimals, half up (to_decimal's text)."""
    return f"{decimal_of_ratio(n, d, 2):f}"
