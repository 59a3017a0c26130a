"""Indexes on when a metered interval stops mattering (`relevant_until`), so a month's usage reads
the intervals that can matter to it and not the closed history of every month before it.

Two plain CREATE INDEX on both backends (no table copy, so SQLite's batch mode and the BI views
are not involved): one on the expression alone, one on (deployment_id, expression). The
expression is `warehouse/sqlfuncs.py relevant_until`, compiled for the backend; the usage
queries compile the very same one, which is how the planners match them (a change to it needs
a migration that creates these indexes again).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 10:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from arcadia_pipelines.warehouse.sqlfuncs import relevant_until

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    until = relevant_until(sa.column('started_at'), sa.column('ended_at'))
    op.create_index('ix_metered_resources_relevant_until', 'metered_resources', [until])
    op.create_index('ix_metered_resources_deployment_relevant_until', 'metered_resources', ['deployment_id', until])


def downgrade() -> None:
    op.drop_index('ix_metered_resources_deployment_relevant_until', table_name='metered_resources')
    op.drop_index('ix_metered_resources_relevant_until', table_name='metered_resources')
