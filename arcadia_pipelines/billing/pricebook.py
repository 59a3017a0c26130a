"""Versioned price book: plans with their meters, addons and tax rates.

A period uses the version with the latest `effective_from` on or before its first day.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from fractions import Fraction
from typing import Generic, Iterable, TypeVar

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

    @cached_property
    def has_negative_price(self) -> bool:
        """A negative base price, allowance or unit price: bad input (checked once per version)."""
        return self.base_price_cents < 0 or any(
            v < 0 for m in self.meters for v in (m.included_quantity, m.overage_unit_price_cents))


@dataclass(frozen=True)
class Addon:
    code: str
    effective_from: date
    name: str
    price_cents: int
    resource_kind: str | None


@dataclass(frozen=True)
class TaxRate:
    country: str
    effective_from: date
    name: str
    rate: Fraction

    @cached_property
    def description(self) -> str:
        return f"{self.name} {to_decimal(self.rate * 100, 4):f}%"


V = TypeVar("V")


@dataclass
class Versions(Generic[V]):
    """Versions of one kind of price, keyed by code, each list sorted by effective_from."""

    kind: str
    by_code: dict[str, list[V]] = field(default_factory=lambda: defaultdict(list))
    _found: dict[tuple[str, date], V | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, kind: str, items: Iterable[V], code=lambda v: v.code) -> "Versions[V]":
        versions = cls(kind)
        for item in items:
            versions.by_code[code(item)].append(item)
        for lst in versions.by_code.values():
            lst.sort(key=lambda v: v.effective_from)
        return versions

    def at(self, code: str, on: date) -> V | None:
        """Remembered per (code, date): a month-end asks the same question for every subscription."""
        key = (code, on)
        if key not in self._found:
            lst = self.by_code.get(code, [])
            i = bisect.bisect_right([v.effective_from for v in lst], on)
            self._found[key] = lst[i - 1] if i else None
        return self._found[key]

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
    def build(cls, plans: Iterable[Plan], addons: Iterable[Addon],
              tax_rates: Iterable[TaxRate]) -> "PriceBook":
        return cls(Versions.of("plan", plans), Versions.of("addon", addons),
                   Versions.of("tax_rate", tax_rates, code=lambda t: t.country))

    def tax_rate(self, country: str | None, on: date) -> TaxRate | None:
        """The country's rate for the period, or None: a country with no rate is not taxed."""
        return self.tax_rates.at((country or "").upper(), on)
