"""Contract tables, and the AU GST rate that ships with tax_rates.

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 01:48:25.301530

"""
from datetime import date
from decimal import Decimal
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from arcadia_pipelines.warehouse.types import ExactDecimal, UtcDateTime


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('addons',
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('price_cents', sa.BigInteger(), nullable=False),
    sa.Column('resource_kind', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('code', 'effective_from', name=op.f('pk_addons'))
    )
    op.create_table('billing_errors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('stage', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Text(), nullable=False),
    sa.Column('subscription_id', sa.Text(), nullable=True),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('recorded_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_errors'))
    )
    with op.batch_alter_table('billing_errors', schema=None) as batch_op:
        batch_op.create_index('ix_billing_errors_period_stage', ['period_start', 'stage'], unique=False)

    op.create_table('cloud_invoices',
    sa.Column('invoice_uuid', sa.Text(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.Text(), server_default='USD', nullable=False),
    sa.PrimaryKeyConstraint('invoice_uuid', name=op.f('pk_cloud_invoices'))
    )
    with op.batch_alter_table('cloud_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cloud_invoices_period_start'), ['period_start'], unique=False)

    op.create_table('cost_vs_revenue',
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('tenant_id', sa.Text(), nullable=True),
    sa.Column('deployment_id', sa.Text(), nullable=True),
    sa.Column('resource_kind', sa.Text(), nullable=True),
    sa.Column('revenue_cents', sa.BigInteger(), nullable=False),
    sa.Column('revenue_currency', sa.Text(), nullable=True),
    sa.Column('cost_cents', sa.BigInteger(), nullable=False),
    sa.Column('cost_currency', sa.Text(), nullable=True),
    sa.Column('cost_in_revenue_currency_cents', sa.BigInteger(), nullable=True),
    sa.Column('margin_cents', sa.BigInteger(), nullable=True)
    )
    with op.batch_alter_table('cost_vs_revenue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_vs_revenue_period_start'), ['period_start'], unique=False)

    op.create_table('deployment_quotes',
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('subscription_id', sa.Text(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Text(), nullable=False),
    sa.Column('deployment_id', sa.Text(), nullable=False),
    sa.Column('window_start', UtcDateTime(), nullable=False),
    sa.Column('window_end', UtcDateTime(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('resource_kind', sa.Text(), nullable=True),
    sa.Column('meter', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quantity', ExactDecimal(), nullable=False),
    sa.Column('unit_price_cents', ExactDecimal(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('period_start', 'subscription_id', 'line_no', name=op.f('pk_deployment_quotes'))
    )
    with op.batch_alter_table('deployment_quotes', schema=None) as batch_op:
        batch_op.create_index('ix_deployment_quotes_period_tenant', ['period_start', 'tenant_id'], unique=False)

    op.create_table('deployment_usage',
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('subscription_id', sa.Text(), nullable=False),
    sa.Column('meter', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Text(), nullable=False),
    sa.Column('deployment_id', sa.Text(), nullable=False),
    sa.Column('resource_kind', sa.Text(), nullable=False),
    sa.Column('quantity', ExactDecimal(), nullable=False),
    sa.PrimaryKeyConstraint('period_start', 'subscription_id', 'meter', name=op.f('pk_deployment_usage'))
    )
    with op.batch_alter_table('deployment_usage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployment_usage_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('fx_rates',
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('base_currency', sa.Text(), nullable=False),
    sa.Column('quote_currency', sa.Text(), nullable=False),
    sa.Column('rate', ExactDecimal(), nullable=False),
    sa.PrimaryKeyConstraint('period_start', 'base_currency', 'quote_currency', name=op.f('pk_fx_rates'))
    )
    op.create_table('metered_resources',
    sa.Column('resource_kind', sa.Text(), nullable=False),
    sa.Column('resource_id', sa.Text(), nullable=False),
    sa.Column('started_at', UtcDateTime(), nullable=False),
    sa.Column('deployment_id', sa.Text(), nullable=True),
    sa.Column('size_slug', sa.Text(), nullable=True),
    sa.Column('quantity', ExactDecimal(), nullable=False),
    sa.Column('ended_at', UtcDateTime(), nullable=True),
    sa.Column('last_seen_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('resource_kind', 'resource_id', 'started_at', name=op.f('pk_metered_resources'))
    )
    with op.batch_alter_table('metered_resources', schema=None) as batch_op:
        batch_op.create_index('ix_metered_resources_deployment', ['deployment_id', 'resource_kind', 'started_at'], unique=False)

    op.create_table('plans',
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('base_price_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.Text(), server_default='AUD', nullable=False),
    sa.PrimaryKeyConstraint('code', 'effective_from', name=op.f('pk_plans'))
    )
    op.create_table('tax_rates',
    sa.Column('country', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('rate', ExactDecimal(), nullable=False),
    sa.PrimaryKeyConstraint('country', 'effective_from', name=op.f('pk_tax_rates'))
    )
    op.bulk_insert(sa.table('tax_rates', sa.column('country'), sa.column('effective_from', sa.Date),
                            sa.column('name'), sa.column('rate', ExactDecimal())),
                   [{'country': 'AU', 'effective_from': date(2000, 7, 1), 'name': 'GST', 'rate': Decimal('0.10')}])
    op.create_table('tenants',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('country', sa.Text(), server_default='AU', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants'))
    )
    op.create_table('cloud_invoice_items',
    sa.Column('invoice_uuid', sa.Text(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product', sa.Text(), nullable=True),
    sa.Column('resource_kind', sa.Text(), nullable=True),
    sa.Column('resource_id', sa.Text(), nullable=True),
    sa.Column('resource_uuid', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('group_description', sa.Text(), nullable=True),
    sa.Column('project_name', sa.Text(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('duration', ExactDecimal(), nullable=True),
    sa.Column('duration_unit', sa.Text(), nullable=True),
    sa.Column('start_time', UtcDateTime(), nullable=True),
    sa.Column('end_time', UtcDateTime(), nullable=True),
    sa.Column('deployment_id', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_uuid'], ['cloud_invoices.invoice_uuid'], name=op.f('fk_cloud_invoice_items_invoice_uuid_cloud_invoices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('invoice_uuid', 'line_no', name=op.f('pk_cloud_invoice_items'))
    )
    with op.batch_alter_table('cloud_invoice_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cloud_invoice_items_deployment_id'), ['deployment_id'], unique=False)

    op.create_table('deployments',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('do_tag', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_deployments_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployments')),
    sa.UniqueConstraint('do_tag', name=op.f('uq_deployments_do_tag'))
    )
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('plan_meters',
    sa.Column('plan_code', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('meter', sa.Text(), nullable=False),
    sa.Column('resource_kind', sa.Text(), nullable=False),
    sa.Column('included_quantity', ExactDecimal(), nullable=False),
    sa.Column('overage_unit_price_cents', ExactDecimal(), nullable=False),
    sa.ForeignKeyConstraint(['plan_code', 'effective_from'], ['plans.code', 'plans.effective_from'], name=op.f('fk_plan_meters_plan_code_plans')),
    sa.PrimaryKeyConstraint('plan_code', 'effective_from', 'meter', name=op.f('pk_plan_meters'))
    )
    op.create_table('tenant_invoices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Text(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('currency', sa.Text(), nullable=False),
    sa.Column('subtotal_cents', sa.BigInteger(), nullable=False),
    sa.Column('tax_cents', sa.BigInteger(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Text(), server_default='draft', nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.Column('issued_at', UtcDateTime(), nullable=True),
    sa.Column('paid_at', UtcDateTime(), nullable=True),
    sa.Column('voided_at', UtcDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'issued', 'paid', 'void')", name=op.f('ck_tenant_invoices_status')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tenant_invoices_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenant_invoices')),
    sa.UniqueConstraint('tenant_id', 'period_start', name=op.f('uq_tenant_invoices_tenant_id_period_start'))
    )
    with op.batch_alter_table('tenant_invoices', schema=None) as batch_op:
        batch_op.create_index('ix_tenant_invoices_period_status', ['period_start', 'status'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Text(), nullable=False),
    sa.Column('deployment_id', sa.Text(), nullable=False),
    sa.Column('plan_code', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('started_at', UtcDateTime(), nullable=False),
    sa.Column('ended_at', UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_subscriptions_deployment_id_deployments')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subscriptions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_deployment_id'), ['deployment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('tenant_invoice_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('invoice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('deployment_id', sa.Text(), nullable=True),
    sa.Column('subscription_id', sa.Text(), nullable=True),
    sa.Column('resource_kind', sa.Text(), nullable=True),
    sa.Column('meter', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quantity', ExactDecimal(), nullable=False),
    sa.Column('unit_price_cents', ExactDecimal(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("kind IN ('plan_base', 'addon', 'overage', 'tax')", name=op.f('ck_tenant_invoice_lines_kind')),
    sa.ForeignKeyConstraint(['invoice_id'], ['tenant_invoices.id'], name=op.f('fk_tenant_invoice_lines_invoice_id_tenant_invoices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenant_invoice_lines'))
    )
    with op.batch_alter_table('tenant_invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenant_invoice_lines_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('subscription_addons',
    sa.Column('subscription_id', sa.Text(), nullable=False),
    sa.Column('addon_code', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_subscription_addons_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('subscription_id', 'addon_code', name=op.f('pk_subscription_addons'))
    )


def downgrade() -> None:
    op.drop_table('subscription_addons')
    with op.batch_alter_table('tenant_invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tenant_invoice_lines_invoice_id'))

    op.drop_table('tenant_invoice_lines')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_deployment_id'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('tenant_invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_tenant_invoices_period_status')

    op.drop_table('tenant_invoices')
    op.drop_table('plan_meters')
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deployments_tenant_id'))

    op.drop_table('deployments')
    with op.batch_alter_table('cloud_invoice_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cloud_invoice_items_deployment_id'))

    op.drop_table('cloud_invoice_items')
    op.drop_table('tenants')
    op.drop_table('tax_rates')
    op.drop_table('plans')
    with op.batch_alter_table('metered_resources', schema=None) as batch_op:
        batch_op.drop_index('ix_metered_resources_deployment')

    op.drop_table('metered_resources')
    op.drop_table('fx_rates')
    with op.batch_alter_table('deployment_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deployment_usage_tenant_id'))

    op.drop_table('deployment_usage')
    with op.batch_alter_table('deployment_quotes', schema=None) as batch_op:
        batch_op.drop_index('ix_deployment_quotes_period_tenant')

    op.drop_table('deployment_quotes')
    with op.batch_alter_table('cost_vs_revenue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_vs_revenue_period_start'))

    op.drop_table('cost_vs_revenue')
    with op.batch_alter_table('cloud_invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cloud_invoices_period_start'))

    op.drop_table('cloud_invoices')
    with op.batch_alter_table('billing_errors', schema=None) as batch_op:
        batch_op.drop_index('ix_billing_errors_period_stage')

    op.drop_table('billing_errors')
    op.drop_table('addons')
