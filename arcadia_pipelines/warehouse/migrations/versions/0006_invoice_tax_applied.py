"""tenant_invoices.tax_name/tax_rate: the tax each invoice applied (NULL: no tax).

An invoice keeps the rate it was computed with, so a later `tax_rates` change does not make it
look wrong. Existing invoices are backfilled from their own tax line, what the tenant was
charged (the `tax_rates` row may have changed since): the rate is the line's quantity, the
name its description without the trailing percentage ("GST 10%" -> "GST"). Invoices without
a tax line keep NULL.

Plain ADD COLUMN on both backends (no batch copy of the table on SQLite: views are built on it).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 13:00:00.000000

"""
import re
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.types import ExactDecimal


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PERCENT_SUFFIX = r" -?[0-9.]+%$"  # how billing.pricebook.TaxRate.description ends


def _tax_name(description: str) -> str:
    return re.sub(PERCENT_SUFFIX, "", description)


def upgrade() -> None:
    op.add_column('tenant_invoices', sa.Column('tax_name', sa.Text(), nullable=True))
    op.add_column('tenant_invoices', sa.Column('tax_rate', ExactDecimal(), nullable=True))
    bind = op.get_bind()
    if not dialect_of(bind).has_regexp_replace:
        bind.connection.driver_connection.create_function("arcadia_tax_name", 1, _tax_name, deterministic=True)
        name = "arcadia_tax_name(l.description)"
    else:
        name = f"regexp_replace(l.description, '{PERCENT_SUFFIX}', '')"
    tax_line = ("FROM tenant_invoice_lines l WHERE l.invoice_id = tenant_invoices.id AND l.kind = 'tax' "
                "ORDER BY l.line_no LIMIT 1")
    # quantity and tax_rate have the same storage on each backend: the value is copied as is
    bind.execute(sa.text(f"UPDATE tenant_invoices SET tax_rate = (SELECT l.quantity {tax_line}), "
                         f"tax_name = (SELECT {name} {tax_line}) WHERE EXISTS (SELECT 1 {tax_line})"))


def downgrade() -> None:
    op.drop_column('tenant_invoices', 'tax_rate')
    op.drop_column('tenant_invoices', 'tax_name')
