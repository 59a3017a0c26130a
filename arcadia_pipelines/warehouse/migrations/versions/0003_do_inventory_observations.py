"""do_inventory_observations: one row per DigitalOcean inventory observation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 02:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from arcadia_pipelines.warehouse.types import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('do_inventory_observations',
    sa.Column('observed_at', UtcDateTime(), nullable=False),
    sa.Column('droplets', sa.Integer(), nullable=False),
    sa.Column('volumes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('observed_at', name=op.f('pk_do_inventory_observations'))
    )


def downgrade() -> None:
    op.drop_table('do_inventory_observations')
