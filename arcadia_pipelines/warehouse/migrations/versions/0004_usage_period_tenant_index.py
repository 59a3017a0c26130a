"""deployment_usage: index (period_start, tenant_id), as deployment_quotes has.

The quote stage reads a month's usage a batch of tenants at a time; with only the tenant_id
index each batch read every month's rows of its tenants (or the whole month), so the reads
grew with the history and with N per batch.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 02:35:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_deployment_usage_period_tenant', 'deployment_usage', ['period_start', 'tenant_id'])


def downgrade() -> None:
    op.drop_index('ix_deployment_usage_period_tenant', table_name='deployment_usage')
