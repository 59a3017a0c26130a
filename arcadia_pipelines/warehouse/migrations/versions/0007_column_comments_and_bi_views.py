"""Column comments on PostgreSQL, and the views for BI tools (bi_invoices, bi_invoice_lines, bi_cost_vs_revenue).

The views add tenant and deployment names, the month as YYYY-MM and amounts in currency units, exact
on both backends: NUMERIC(20, 2) on PostgreSQL; fixed-point text on SQLite (printf of the integer
cents, never through floating point). Their SQL is frozen here; a later migration changing a view
drops and recreates it.

Comments come from warehouse/column_docs.py (tables, views and their columns); a later change of
the descriptions is a migration calling `write_comments(op.get_bind())` again.

SQLite: a later `batch_alter_table` that copies tenant_invoices, tenant_invoice_lines, tenants,
deployments or cost_vs_revenue must drop these views first and recreate them after (SQLite refuses
to rename the copy while a view names a table that is gone); plain ADD COLUMN needs nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 13:30:00.000000

"""
from typing import Sequence, Union

from alembic import op

from arcadia_pipelines.warehouse.column_docs import write_comments
from arcadia_pipelines.warehouse.dialect import Dialect, dialect_of


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _units(cents: str, dialect: Dialect) -> str:
    """Integer cents as an exact amount in currency units; NULL stays NULL."""
    if not dialect.decimals_as_text:
        return f"CAST(CAST({cents} AS NUMERIC) / 100 AS NUMERIC(20, 2))"
    return (f"CASE WHEN {cents} IS NULL THEN NULL ELSE printf('%s%d.%02d', CASE WHEN {cents} < 0 THEN '-' "
            f"ELSE '' END, abs({cents}) / 100, abs({cents}) % 100) END")


def _month(day: str, dialect: Dialect) -> str:
    return f"substr({day}, 1, 7)" if dialect.dates_as_text else f"to_char({day}, 'YYYY-MM')"


def _views(d: Dialect) -> dict[str, str]:
    return {
        "bi_invoices": f"""
SELECT i.id AS invoice_id, i.tenant_id, t.name AS tenant_name, t.country AS tenant_country,
       {_month('i.period_start', d)} AS period, i.period_start, i.period_end, i.status, i.currency,
       {_units('i.subtotal_cents', d)} AS subtotal, {_units('i.tax_cents', d)} AS tax,
       {_units('i.total_cents', d)} AS total, i.tax_name, i.tax_rate,
       i.subtotal_cents, i.tax_cents, i.total_cents, i.created_at, i.issued_at, i.paid_at, i.voided_at
FROM tenant_invoices i LEFT JOIN tenants t ON t.id = i.tenant_id""",
        "bi_invoice_lines": f"""
SELECT l.id AS line_id, l.invoice_id, l.line_no, i.tenant_id, t.name AS tenant_name,
       {_month('i.period_start', d)} AS period, i.period_start, i.period_end, i.status AS invoice_status,
       i.currency, l.kind, l.description, l.deployment_id, dep.name AS deployment_name, l.subscription_id,
       l.resource_kind, l.meter, l.quantity, l.unit_price_cents, {_units('l.amount_cents', d)} AS amount,
       l.amount_cents
FROM tenant_invoice_lines l JOIN tenant_invoices i ON i.id = l.invoice_id
LEFT JOIN tenants t ON t.id = i.tenant_id LEFT JOIN deployments dep ON dep.id = l.deployment_id""",
        "bi_cost_vs_revenue": f"""
SELECT {_month('c.period_start', d)} AS period, c.period_start, c.tenant_id, t.name AS tenant_name,
       c.deployment_id, dep.name AS deployment_name, c.resource_kind, c.revenue_currency,
       {_units('c.revenue_cents', d)} AS revenue, c.cost_currency, {_units('c.cost_cents', d)} AS cost,
       {_units('c.cost_in_revenue_currency_cents', d)} AS cost_in_revenue_currency,
       {_units('c.margin_cents', d)} AS margin,
       c.revenue_cents, c.cost_cents, c.cost_in_revenue_currency_cents, c.margin_cents
FROM cost_vs_revenue c LEFT JOIN tenants t ON t.id = c.tenant_id
LEFT JOIN deployments dep ON dep.id = c.deployment_id""",
    }


def upgrade() -> None:
    bind = op.get_bind()
    for name, select in _views(dialect_of(bind)).items():
        op.execute(f"CREATE VIEW {name} AS {select}")
    write_comments(bind)


def downgrade() -> None:
    bind = op.get_bind()
    write_comments(bind, clear=True)
    for name in _views(dialect_of(bind)):
        op.execute(f"DROP VIEW {name}")
