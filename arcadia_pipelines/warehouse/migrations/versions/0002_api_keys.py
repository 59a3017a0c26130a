"""API keys for the invoice API, stored only as hashes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 01:52:35.507335

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from arcadia_pipelines.warehouse.types import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key_prefix', sa.Text(), nullable=False),
    sa.Column('key_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Text(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('revoked_at', UtcDateTime(), nullable=True),
    sa.CheckConstraint("(role = 'tenant') = (tenant_id IS NOT NULL)", name=op.f('ck_api_keys_tenant_scope')),
    sa.CheckConstraint("role IN ('platform_admin', 'tenant')", name=op.f('ck_api_keys_role')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_api_keys_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )


def downgrade() -> None:
    op.drop_table('api_keys')
