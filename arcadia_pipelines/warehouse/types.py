"""Column types that keep money exact and timestamps in UTC on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.billing.money import decimal_text, exact, to_decimal


class ExactDecimal(sa.types.TypeDecorator):
    """NUMERIC on PostgreSQL; on SQLite fixed-point decimal text (its NUMERIC would round
    through float), which BI tools read as a number."""

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
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
        return decimal_text(d) if dialect.name == "sqlite" else d

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))

    @property
    def python_type(self):
        return Decimal


class UtcDateTime(sa.types.TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite a naive UTC text. Always aware UTC in Python."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {value!r}")
        utc = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    @property
    def python_type(self):
        return datetime
