"""Finance hand-off: tenants' billing details and payment terms, invoice numbers, due dates and the
billing details printed on each invoice, the number sequence and the invoice events feed.

All additive: plain ADD COLUMN / CREATE TABLE / CREATE INDEX on both backends (no batch copy of
tenants or tenant_invoices on SQLite: migration 0007's views are built on them). Existing
invoices keep a null number: only an issue move hands out numbers. The sequence starts at 0. Each
existing invoice gets one `created` event with its status now, so a finance system reading the feed
from the start sees every invoice.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from arcadia_pipelines.warehouse.column_docs import write_comments
from arcadia_pipelines.warehouse.types import UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.add_column('tenants', sa.Column('legal_name', sa.Text(), nullable=True))
    op.add_column('tenants', sa.Column('billing_address', sa.Text(), nullable=True))
    op.add_column('tenants', sa.Column('tax_id', sa.Text(), nullable=True))
    op.add_column('tenants', sa.Column('payment_terms_days', sa.Integer(), nullable=True))
    op.add_column('tenant_invoices', sa.Column('number', sa.Text(), nullable=True))
    op.add_column('tenant_invoices', sa.Column('due_at', UtcDateTime(), nullable=True))
    op.add_column('tenant_invoices', sa.Column('bill_to_name', sa.Text(), nullable=True))
    op.add_column('tenant_invoices', sa.Column('bill_to_address', sa.Text(), nullable=True))
    op.add_column('tenant_invoices', sa.Column('bill_to_tax_id', sa.Text(), nullable=True))
    op.create_index('uq_tenant_invoices_number', 'tenant_invoices', ['number'], unique=True)
    sequence = op.create_table(
        'invoice_number_sequence',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_number', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_invoice_number_sequence_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_number_sequence')),
    )
    op.bulk_insert(sequence, [{'id': 1, 'last_number': 0}])
    op.create_table(
        'invoice_events',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('invoice_id', _ID, nullable=False),
        sa.Column('credit_note_id', _ID, nullable=True),
        sa.Column('tenant_id', sa.Text(), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('occurred_at', UtcDateTime(), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('number', sa.Text(), nullable=True),
        sa.Column('currency', sa.Text(), nullable=False),
        sa.Column('total_cents', sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('created', 'recomputed', 'issued', 'paid', 'voided', 'credited')",
                           name=op.f('ck_invoice_events_kind')),
        sa.ForeignKeyConstraint(['invoice_id'], ['tenant_invoices.id'], ondelete='CASCADE',
                                name=op.f('fk_invoice_events_invoice_id_tenant_invoices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_events')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_invoice_events_invoice_id', 'invoice_events', ['invoice_id'])
    op.create_index('ix_invoice_events_tenant_id_id', 'invoice_events', ['tenant_id', 'id'])
    op.execute("INSERT INTO invoice_events (invoice_id, tenant_id, kind, occurred_at, status, number, currency, "
               "total_cents) SELECT id, tenant_id, 'created', created_at, status, number, currency, total_cents "
               "FROM tenant_invoices ORDER BY id")
    write_comments(op.get_bind())


def downgrade() -> None:
    op.drop_table('invoice_events')
    op.drop_table('invoice_number_sequence')
    op.drop_index('uq_tenant_invoices_number', 'tenant_invoices')
    for column in ('bill_to_tax_id', 'bill_to_address', 'bill_to_name', 'due_at', 'number'):
        op.drop_column('tenant_invoices', column)
    for column in ('payment_terms_days', 'tax_id', 'billing_address', 'legal_name'):
        op.drop_column('tenants', column)
