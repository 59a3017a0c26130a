"""Versioned price book: plans with their meters, addons and tax rates.

A period uses the version with the latest `effective_from` on or before its first day.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from fractions import Fraction
from typing import Generic, Iterable, TypeVar

from .bounds import (MAX_INCLUDED_QUANTITY, MAX_PRICE_CENTS, MAX_TAX_RATE, MAX_TAX_RATE_PLACES, MAX_UNIT_PRICE_CENTS,
                     problem_with)
from .countries import country_code
from .errors import BillingError
from .money import to_decimal

# Meters the platform measures, and the kind of DigitalOcean resource each one counts.
METER_RESOURCE_KINDS = {"droplet_hours": "droplet", "volume_gb_hours": "volume"}


@dataclass(frozen=True)
class PlanMeter:
    meter: str
    resource_kind: str
    included_quantity: Fraction
    overage_unit_price_cents: Fraction


@dataclass(frozen=True)
class Plan:
    code: str
    effective_from: date
    name: str
    base_price_cents: int
    currency: str
    meters: tuple[PlanMeter, ...] = ()

    def problem(self) -> tuple[str, str] | None:
        """A negative or implausible price or allowance (billing/bounds.py): bad input."""
        checks = [(self.base_price_cents, "base_price_cents", MAX_PRICE_CENTS, "price_out_of_bounds")]
        for m in self.meters:
            checks += [(m.included_quantity, f"{m.meter} included_quantity", MAX_INCLUDED_QUANTITY,
                        "quantity_out_of_bounds"),
                       (m.overage_unit_price_cents, f"{m.meter} overage_unit_price_cents", MAX_UNIT_PRICE_CENTS,
                        "price_out_of_bounds")]
        return next(filter(None, (problem_with(value, what, upper, negative_rule="negative_price", upper_rule=rule)
                                  for value, what, upper, rule in checks)), None)


@dataclass(frozen=True)
class Addon:
    code: str
    effective_from: date
    name: str
    price_cents: int
    resource_kind: str | None

    def problem(self) -> tuple[str, str] | None:
        return problem_with(self.price_cents, "price_cents", MAX_PRICE_CENTS, negative_rule="negative_price",
                            upper_rule="price_out_of_bounds")


@dataclass(frozen=True)
class TaxRate:
    country: str
    effective_from: date
    name: str
    rate: Fraction

    @cached_property
    def description(self) -> str:
        return f"{self.name} {to_decimal(self.rate * 100, 4):f}%"

    @cached_property
    def kept_rate(self) -> Decimal:
        """The rate as an invoice keeps it, to MAX_TAX_RATE_PLACES decimals (exact for a valid rate)."""
        return to_decimal(self.rate, MAX_TAX_RATE_PLACES)

    def problem(self) -> tuple[str, str] | None:
        """Out of 0..1, or with more decimals than an invoice keeps of the rate it applied."""
        if (self.rate * 10**MAX_TAX_RATE_PLACES).denominator != 1:
            return "invalid_tax_rate", (f"rate is {to_decimal(self.rate, 40):f}; a tax rate has at most "
                                        f"{MAX_TAX_RATE_PLACES} decimal places (billing/bounds.py)")
        return problem_with(self.rate, "rate", MAX_TAX_RATE, negative_rule="invalid_tax_rate",
                            upper_rule="invalid_tax_rate")


@dataclass(frozen=True)
class InvalidVersion:
    """A price version the book cannot price with (unreadable, negative or out of bounds): a period
    that selects it raises its error, so only the tenants whose month uses it fail."""

    code: str
    effective_from: date
    rule: str
    message: str


V = TypeVar("V")


@dataclass
class Versions(Generic[V]):
    """Versions of one kind of price, keyed by code, each list sorted by effective_from."""

    kind: str
    by_code: dict[str, list[V]] = field(default_factory=lambda: defaultdict(list))
    _found: dict[tuple[str, date], V | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, kind: str, items: Iterable[V | InvalidVersion], code=lambda v: v.code) -> "Versions[V]":
        """Versions of `items`; one whose values break a bound is kept as an InvalidVersion."""
        versions = cls(kind)
        for item in items:
            key = item.code if isinstance(item, InvalidVersion) else code(item)
            problem = None if isinstance(item, InvalidVersion) else item.problem()
            versions.by_code[key].append(InvalidVersion(key, item.effective_from, *problem) if problem else item)
        for lst in versions.by_code.values():
            lst.sort(key=lambda v: v.effective_from)
        return versions

    def at(self, code: str, on: date) -> V | None:
        """Remembered per (code, date): a month-end asks the same question for every subscription.
        Raises BillingError (without a tenant) when the version in effect is invalid."""
        key = (code, on)
        if key not in self._found:
            lst = self.by_code.get(code, [])
            i = bisect.bisect_right([v.effective_from for v in lst], on)
            self._found[key] = lst[i - 1] if i else None
        found = self._found[key]
        if isinstance(found, InvalidVersion):
            since = f" effective {found.effective_from}" if found.effective_from > date.min else ""  # min: undated
            raise BillingError(found.rule, f"{self.kind} {code!r}{since}: {found.message}")
        return found

    def require(self, code: str, on: date) -> V:
        found = self.at(code, on)
        if found is None:
            known = self.by_code.get(code)
            why = (f"its first version starts {known[0].effective_from}" if known
                   else "no such code")
            raise BillingError(f"unknown_{self.kind}_version",
                               f"{self.kind} {code!r} has no price version effective on or "
                               f"before {on} ({why})")
        return found


@dataclass
class PriceBook:
    plans: Versions[Plan]
    addons: Versions[Addon]
    tax_rates: Versions[TaxRate]
    # What the quote engine derives from one version for one proration (prorated lines and
    # allowances), computed once per book: a month-end prices the same few combinations
    # for every subscription.
    derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def build(cls, plans: Iterable[Plan | InvalidVersion], addons: Iterable[Addon | InvalidVersion],
              tax_rates: Iterable[TaxRate | InvalidVersion]) -> "PriceBook":
        return cls(Versions.of("plan", plans), Versions.of("addon", addons),
                   Versions.of("tax_rate", tax_rates, code=lambda t: t.country))

    def tax_rate(self, country: str | None, on: date) -> TaxRate | None:
        """The country's rate for the period, or None: a country with no rate is not taxed.
        Raises BillingError (without a tenant) `invalid_country` when `country` is no ISO 3166-1
        alpha-2 code (countries.py), `invalid_tax_rate` when its rate is invalid."""
        return self.tax_rates.at(country_code(country), on)
