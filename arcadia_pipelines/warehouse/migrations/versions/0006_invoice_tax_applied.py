"""tenant_invoices: the tax rate and name each invoice applied (placeholder, filled in by its work).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 13:00:00.000000

"""
from typing import Sequence, Union

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
