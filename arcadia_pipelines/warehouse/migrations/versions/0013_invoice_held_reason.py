"""Drafts held back by bad input: `tenant_invoices.held_reason`, NULL unless the tenant's month has
a billing error (then it names the rule and the message, and issuing the draft is refused).

A plain ADD COLUMN of a nullable text, the same statement on both backends: every invoice made so
far is held by nothing.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from arcadia_pipelines.warehouse.column_docs import write_comments

# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('tenant_invoices', sa.Column('held_reason', sa.Text(), nullable=True))
    write_comments(op.get_bind())


def downgrade() -> None:
    op.drop_column('tenant_invoices', 'held_reason')
