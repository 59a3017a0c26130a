"""usage_evidence: per subscription, meter and metered interval, the rows behind each usage figure.

A plain CREATE TABLE on both backends. Months rolled up before it have no evidence until their
usage is materialized again (the `usage_matches_its_evidence` check names them).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 13:20:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from arcadia_pipelines.warehouse.column_docs import write_comments
from arcadia_pipelines.warehouse.types import ExactDecimal, UtcDateTime

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'usage_evidence',
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('subscription_id', sa.Text(), nullable=False),
        sa.Column('meter', sa.Text(), nullable=False),
        sa.Column('resource_kind', sa.Text(), nullable=False),
        sa.Column('resource_id', sa.Text(), nullable=False),
        sa.Column('started_at', UtcDateTime(), nullable=False),
        sa.Column('tenant_id', sa.Text(), nullable=False),
        sa.Column('deployment_id', sa.Text(), nullable=False),
        sa.Column('window_start', UtcDateTime(), nullable=False),
        sa.Column('window_end', UtcDateTime(), nullable=False),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.Column('size', ExactDecimal(), nullable=False),
        sa.Column('quantity', ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint('period_start', 'subscription_id', 'meter', 'resource_kind', 'resource_id',
                                'started_at', name=op.f('pk_usage_evidence')),
    )
    write_comments(op.get_bind())


def downgrade() -> None:
    op.drop_table('usage_evidence')
