"""SQLite: decimal text in fixed-point form ('1500', not '1.5E+3').

Earlier versions stored some whole numbers and tiny prices in exponent form. The values were
exact either way, but BI tools reading SQLite take text at face value. PostgreSQL stores
NUMERIC and needs nothing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 04:40:00.000000

"""
from decimal import Decimal
from typing import Sequence, Union

from alembic import op

from arcadia_pipelines.warehouse.dialect import dialect_of


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DECIMAL_COLUMNS = {
    "plan_meters": ("included_quantity", "overage_unit_price_cents"),
    "tax_rates": ("rate",),
    "fx_rates": ("rate",),
    "metered_resources": ("quantity",),
    "cloud_invoice_items": ("duration",),
    "deployment_usage": ("quantity",),
    "deployment_quotes": ("quantity", "unit_price_cents"),
    "tenant_invoice_lines": ("quantity", "unit_price_cents"),
}


def _fixed_point(text: str) -> str:
    return f"{Decimal(text):f}"


def upgrade() -> None:
    bind = op.get_bind()
    if not dialect_of(bind).decimals_as_text:
        return
    bind.connection.driver_connection.create_function("arcadia_fixed_point", 1, _fixed_point, deterministic=True)
    for table, columns in DECIMAL_COLUMNS.items():
        for column in columns:
            # LIKE is case-insensitive in SQLite: 'E' and 'e'
            bind.exec_driver_sql(f'UPDATE "{table}" SET "{column}" = arcadia_fixed_point("{column}") '
                                 f'WHERE "{column}" LIKE \'%E%\'')


def downgrade() -> None:
    """Nothing to undo: both forms are the same numbers."""
