"""Credit notes: `credit_notes`, their `credit_note_lines` and the `credit_note_number_sequence`.

All additive (CREATE TABLE / CREATE INDEX). The sequence starts at 0, so the first note is
CN-000001. Invoices keep their amounts; their balance is computed from the notes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 13:20:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from arcadia_pipelines.warehouse.column_docs import write_comments
from arcadia_pipelines.warehouse.types import ExactDecimal, UtcDateTime

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    sequence = op.create_table(
        'credit_note_number_sequence',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_number', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_credit_note_number_sequence_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note_number_sequence')),
    )
    op.bulk_insert(sequence, [{'id': 1, 'last_number': 0}])
    op.create_table(
        'credit_notes',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('invoice_id', _ID, nullable=False),
        sa.Column('tenant_id', sa.Text(), nullable=False),
        sa.Column('number', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('currency', sa.Text(), nullable=False),
        sa.Column('subtotal_cents', sa.BigInteger(), nullable=False),
        sa.Column('tax_cents', sa.BigInteger(), nullable=False),
        sa.Column('total_cents', sa.BigInteger(), nullable=False),
        sa.Column('tax_name', sa.Text(), nullable=True),
        sa.Column('tax_rate', ExactDecimal(), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('created_by_key_id', _ID, nullable=True),
        sa.CheckConstraint('subtotal_cents > 0 AND tax_cents >= 0 AND total_cents = subtotal_cents + tax_cents',
                           name=op.f('ck_credit_notes_amounts')),
        sa.ForeignKeyConstraint(['invoice_id'], ['tenant_invoices.id'],
                                name=op.f('fk_credit_notes_invoice_id_tenant_invoices')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_credit_notes_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['created_by_key_id'], ['api_keys.id'],
                                name=op.f('fk_credit_notes_created_by_key_id_api_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_notes')),
        sa.UniqueConstraint('number', name=op.f('uq_credit_notes_number')),
    )
    op.create_index('ix_credit_notes_invoice_id', 'credit_notes', ['invoice_id'])
    op.create_table(
        'credit_note_lines',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('credit_note_id', _ID, nullable=False),
        sa.Column('invoice_line_id', _ID, nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('amount_cents > 0', name=op.f('ck_credit_note_lines_amount_positive')),
        sa.ForeignKeyConstraint(['credit_note_id'], ['credit_notes.id'], ondelete='CASCADE',
                                name=op.f('fk_credit_note_lines_credit_note_id_credit_notes')),
        sa.ForeignKeyConstraint(['invoice_line_id'], ['tenant_invoice_lines.id'],
                                name=op.f('fk_credit_note_lines_invoice_line_id_tenant_invoice_lines')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note_lines')),
    )
    op.create_index('ix_credit_note_lines_credit_note_id', 'credit_note_lines', ['credit_note_id'])
    op.create_index('ix_credit_note_lines_invoice_line_id', 'credit_note_lines', ['invoice_line_id'])
    write_comments(op.get_bind())


def downgrade() -> None:
    op.drop_table('credit_note_lines')
    op.drop_table('credit_notes')
    op.drop_table('credit_note_number_sequence')
