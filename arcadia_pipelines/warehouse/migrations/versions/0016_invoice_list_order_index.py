"""tenant_invoices: index (period_start, id), the invoice list's order (newest month first, then id).

Without it the API's list sorted every matching invoice to hand out a page: an admin's first page
read and sorted all 10,000 invoices of a 10,000-tenant month (10 ms on PostgreSQL). Read backwards
along this index, a page stops after its rows.

Additive: CREATE INDEX on both backends.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 02:00:00.000000

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_tenant_invoices_period_start_id', 'tenant_invoices', ['period_start', 'id'])


def downgrade() -> None:
    op.drop_index('ix_tenant_invoices_period_start_id', table_name='tenant_invoices')
