"""Webhooks: `month_invoiced_events` (month.invoiced, ids from invoice_events' sequence), the
`webhook_endpoints` events are pushed to, the `webhook_deliveries` being retried or parked, and the
`webhook_failures` log.

All additive: CREATE TABLE / CREATE INDEX on both backends.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-04 22:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from arcadia_pipelines.warehouse.column_docs import write_comments
from arcadia_pipelines.warehouse.types import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'month_invoiced_events',
        sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('occurred_at', UtcDateTime(), nullable=False),
        sa.Column('invoices', sa.Integer(), nullable=False),
        sa.Column('failed_tenants', sa.Integer(), nullable=False),
        sa.Column('totals', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_month_invoiced_events')),
    )
    op.create_index('ix_month_invoiced_events_period_start', 'month_invoiced_events', ['period_start'])
    op.create_table(
        'webhook_endpoints',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('event_types', sa.Text(), nullable=False),
        sa.Column('secret_encrypted', sa.Text(), nullable=False),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('disabled_at', UtcDateTime(), nullable=True),
        sa.Column('cursor_event_id', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('last_delivered_event_id', sa.BigInteger(), nullable=True),
        sa.Column('last_delivered_at', UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints')),
    )
    op.create_table(
        'webhook_deliveries',
        sa.Column('endpoint_id', _ID, nullable=False),
        sa.Column('event_id', sa.BigInteger(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UtcDateTime(), nullable=False),
        sa.Column('last_attempt_at', UtcDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('parked_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], ondelete='CASCADE',
                                name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints')),
        sa.PrimaryKeyConstraint('endpoint_id', 'event_id', name=op.f('pk_webhook_deliveries')),
    )
    op.create_table(
        'webhook_failures',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('endpoint_id', _ID, nullable=False),
        sa.Column('event_id', sa.BigInteger(), nullable=False),
        sa.Column('failed_at', UtcDateTime(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], ondelete='CASCADE',
                                name=op.f('fk_webhook_failures_endpoint_id_webhook_endpoints')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_failures')),
    )
    op.create_index('ix_webhook_failures_endpoint_id_failed_at', 'webhook_failures', ['endpoint_id', 'failed_at'])
    write_comments(op.get_bind())


def downgrade() -> None:
    op.drop_table('webhook_failures')
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')
    op.drop_table('month_invoiced_events')
