"""Column types that keep money exact and timestamps in UTC on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from arcadia_pipelines.billing.money import decimal_text, exact, to_decimal

from .dialect import dialect_of


class Unreadable:
    """A stored value its column type cannot read: SQLite keeps any text in any column. Reading a
    table never fails on one bad row; the value fails where it is used (it is no number and no
    datetime), and the month-end's validation names it as bad input for the tenants it bills."""

    __slots__ = ("raw",)

    def __init__(self, raw: object):
        self.raw = raw

    def __repr__(self) -> str:
        return repr(self.raw)


class ExactDecimal(sa.types.TypeDecorator):
    """NUMERIC on PostgreSQL; on SQLite fixed-point decimal text (its NUMERIC would round
    through float), which BI tools read as a number."""

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect_of(dialect).decimals_as_text:
            return dialect.type_descriptor(sa.Text())
        return dialect.type_descriptor(sa.Numeric(asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, Decimal) and value.is_finite():
            d = value  # the common case, kept cheap: month-end binds hundreds of thousands
        else:
            q = exact(value)
            d = Decimal(value) if isinstance(value, (int, Decimal)) else to_decimal(q, 12)
        return decimal_text(d) if dialect_of(dialect).decimals_as_text else d

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, Decimal):
            return value
        try:
            d = Decimal(str(value))
        except InvalidOperation:
            return Unreadable(value)
        return d if d.is_finite() else Unreadable(value)

    @property
    def python_type(self):
        return Decimal


class LenientDate(sa.types.TypeDecorator):
    """For reading a DATE column that SQLite may hold any text in (`sa.type_coerce(column, LenientDate)`):
    what is no ISO date (as SQLAlchemy writes them) is Unreadable instead of failing the whole read."""

    impl = sa.Date
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(sa.Text() if dialect_of(dialect).dates_as_text else self.impl)

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            return Unreadable(value)


class _SqliteDateTimeText(sqlite.DATETIME):
    """SQLite's DATETIME, written as SQLAlchemy writes it, read as the stored text (UtcDateTime
    parses it, and keeps what it cannot parse as Unreadable instead of failing the whole read)."""

    def result_processor(self, dialect, coltype):
        return None


class UtcDateTime(sa.types.TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite a naive UTC text. Always aware UTC in Python."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect_of(dialect).dates_as_text:
            return dialect.type_descriptor(_SqliteDateTimeText())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {value!r}")
        utc = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect_of(dialect).dates_as_text else utc

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return Unreadable(value)
        if not isinstance(value, datetime):
            return Unreadable(value)
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    @property
    def python_type(self):
        return datetime
