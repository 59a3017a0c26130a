"""Credit notes say what they are for: `credit_notes.purpose`, correction (every note so far, the
default) or goodwill, which drift after invoicing leaves out.

One ADD COLUMN with its default and its CHECK, the same statement on both backends (SQLite takes a
CHECK on an added column, so no batch-mode copy of the table is needed).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 20:00:00.000000

"""
from typing import Sequence, Union

from alembic import op

from arcadia_pipelines.warehouse.column_docs import write_comments

# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # the purposes as they were written (billing/credit_notes.py PURPOSES)
    op.execute("ALTER TABLE credit_notes ADD COLUMN purpose TEXT NOT NULL DEFAULT 'correction' "
               "CONSTRAINT ck_credit_notes_purpose CHECK (purpose IN ('correction', 'goodwill'))")
    write_comments(op.get_bind())


def downgrade() -> None:
    op.drop_column('credit_notes', 'purpose')
