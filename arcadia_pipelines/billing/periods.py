"""Billing periods (UTC calendar months) and the proration rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction
from functools import cached_property

UTC = timezone.utc
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


def as_utc(moment: datetime) -> datetime:
    """Timestamps at rest are UTC; a naive one is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, order=True)
class Period:
    """A month: [start, end), end exclusive."""

    start: date

    @classmethod
    def parse(cls, text: str) -> "Period":
        """'2026-04' or the partition key '2026-04-01'."""
        m = _MONTH.match(text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"period must look like YYYY-MM (or YYYY-MM-01), got {text!r}")
        return cls(date(int(m.group(1)), int(m.group(2)), 1))

    def __post_init__(self):
        if self.start.day != 1:
            raise ValueError(f"a period starts on the first of a month, not {self.start}")

    @cached_property
    def end(self) -> date:
        return (self.start + timedelta(days=32)).replace(day=1)

    @cached_property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")

    @cached_property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @cached_property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(), UTC)

    def window(self, started_at: datetime, ended_at: datetime | None) -> "Window | None":
        """The period intersected with [started_at, ended_at); None when they do not overlap."""
        lo = max(self.start_at, as_utc(started_at))
        hi = self.end_at if ended_at is None else min(self.end_at, as_utc(ended_at))
        return Window(self, lo, hi) if lo < hi else None


@dataclass(frozen=True)
class Window:
    period: Period
    start_at: datetime
    end_at: datetime

    @property
    def days_touched(self) -> int:
        """UTC calendar days of the period in which the window has any time."""
        last = self.end_at - timedelta(microseconds=1)
        return (last.date() - self.start_at.date()).days + 1

    @property
    def proration(self) -> Fraction:
        return Fraction(self.days_touched, self.period.days)

