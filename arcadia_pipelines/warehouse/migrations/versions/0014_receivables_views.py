"""Views for receivables, and amounts BI tools read as numbers on SQLite too.

- `bi_invoices` gains the invoice number, due date, issue/paid/void dates, what credit notes
  credited, the balance (total - credited), the amount due (the balance of an issued invoice) and
  its days overdue as of the query's UTC date.
- New `bi_credit_notes`, `bi_credit_note_lines` and `bi_ar_ageing` (what each tenant owes, per
  currency, in current / 1-30 / 31-60 / 61-90 / over 90 days overdue buckets, as of the query's UTC
  date; it reads `bi_invoices`).
- `bi_cost_vs_revenue`: `revenue` and `margin` are net of correction credit notes; the invoiced
  revenue, the corrections and goodwill credits have columns of their own.
- SQLite: amounts in currency units (and quantities, unit prices, tax rates) are REAL, so pandas
  and SQLAlchemy read numbers (they were fixed-point text, which pandas summed as strings). REAL is
  for display and charts: the integer `_cents` columns beside them stay exact. PostgreSQL keeps
  NUMERIC(20, 2).

Every view is dropped and created again (SQLite cannot change a view's column types); the
downgrade creates migration 0007's views again. Views only: no table changes.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04 22:10:00.000000

"""
import importlib.util
from pathlib import Path
from typing import Sequence, Union

from alembic import op

from arcadia_pipelines.warehouse.column_docs import write_comments
from arcadia_pipelines.warehouse.dialect import Dialect, dialect_of

# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_VIEWS = ("bi_invoices", "bi_invoice_lines", "bi_cost_vs_revenue")


def _units(cents: str, d: Dialect) -> str:
    """Integer cents in currency units; NULL stays NULL. SQLite: the nearest double (IEEE division
    is correctly rounded), which prints as the exact amount up to 10**13 units."""
    if not d.decimals_as_text:
        return f"CAST(CAST({cents} AS NUMERIC) / 100 AS NUMERIC(20, 2))"
    return f"CAST({cents} AS REAL) / 100"


def _number(value: str, d: Dialect) -> str:
    """An exact decimal column (fixed-point text on SQLite) as a number BI tools read."""
    return value if not d.decimals_as_text else f"CAST({value} AS REAL)"


def _sum(cents: str, d: Dialect) -> str:
    """SUM of integer cents as an integer, 0 over no rows (PostgreSQL sums bigint as numeric)."""
    return f"CAST(COALESCE(SUM({cents}), 0) AS BIGINT)" if not d.decimals_as_text else f"COALESCE(SUM({cents}), 0)"


def _month(day: str, d: Dialect) -> str:
    return f"to_char({day}, 'YYYY-MM')" if not d.dates_as_text else f"substr({day}, 1, 7)"


def _utc_date(moment: str, d: Dialect) -> str:
    return f"CAST({moment} AT TIME ZONE 'UTC' AS DATE)" if not d.dates_as_text else f"date({moment})"


def _days_overdue(due_at: str, d: Dialect) -> str:
    """Whole days from the due date to the query's UTC date, 0 until it is past."""
    if not d.dates_as_text:
        return f"GREATEST(CAST(now() AT TIME ZONE 'UTC' AS DATE) - {_utc_date(due_at, d)}, 0)"
    return f"max(CAST(julianday(date('now')) - julianday(date({due_at})) AS INTEGER), 0)"


def _same(a: str, b: str, d: Dialect) -> str:
    """Equal, NULL equal to NULL."""
    return d.same(a, b)


def _views(d: Dialect) -> dict[str, str]:
    """The views in creation order (bi_ar_ageing reads bi_invoices)."""
    u = lambda cents: _units(cents, d)  # noqa: E731 - read as a function in the SQL below
    due = "CASE WHEN i.status = 'issued' THEN i.total_cents - COALESCE(cn.cents, 0) ELSE 0 END"
    bucket = "SUM(CASE WHEN {cond} THEN amount_due_cents ELSE 0 END)"
    buckets = {"not_yet_due": "COALESCE(days_overdue, 0) = 0", "days_1_30": "days_overdue BETWEEN 1 AND 30",
               "days_31_60": "days_overdue BETWEEN 31 AND 60", "days_61_90": "days_overdue BETWEEN 61 AND 90",
               "days_over_90": "days_overdue > 90"}
    ageing_cents = {name: bucket.format(cond=cond) if d.decimals_as_text
                    else f"CAST({bucket.format(cond=cond)} AS BIGINT)"
                    for name, cond in buckets.items()}
    return {
        "bi_invoices": f"""
SELECT i.id AS invoice_id, i.tenant_id, t.name AS tenant_name, t.country AS tenant_country,
       {_month('i.period_start', d)} AS period, i.period_start, i.period_end, i.status, i.currency,
       {u('i.subtotal_cents')} AS subtotal, {u('i.tax_cents')} AS tax,
       {u('i.total_cents')} AS total, i.tax_name, {_number('i.tax_rate', d)} AS tax_rate,
       i.subtotal_cents, i.tax_cents, i.total_cents, i.created_at, i.issued_at, i.paid_at, i.voided_at,
       i.number, i.due_at, {_utc_date('i.issued_at', d)} AS issued_on, {_utc_date('i.due_at', d)} AS due_on,
       {_utc_date('i.paid_at', d)} AS paid_on, {_utc_date('i.voided_at', d)} AS voided_on,
       {u('COALESCE(cn.cents, 0)')} AS credited, {u('i.total_cents - COALESCE(cn.cents, 0)')} AS balance,
       {u(due)} AS amount_due,
       COALESCE(cn.cents, 0) AS credited_cents, i.total_cents - COALESCE(cn.cents, 0) AS balance_cents,
       {due} AS amount_due_cents,
       CASE WHEN i.status = 'issued' AND i.total_cents > COALESCE(cn.cents, 0) AND i.due_at IS NOT NULL
            THEN {_days_overdue('i.due_at', d)} END AS days_overdue
FROM tenant_invoices i LEFT JOIN tenants t ON t.id = i.tenant_id
LEFT JOIN (SELECT invoice_id, {_sum('total_cents', d)} AS cents FROM credit_notes GROUP BY invoice_id) cn
       ON cn.invoice_id = i.id""",
        "bi_invoice_lines": f"""
SELECT l.id AS line_id, l.invoice_id, l.line_no, i.tenant_id, t.name AS tenant_name,
       {_month('i.period_start', d)} AS period, i.period_start, i.period_end, i.status AS invoice_status,
       i.currency, l.kind, l.description, l.deployment_id, dep.name AS deployment_name, l.subscription_id,
       l.resource_kind, l.meter, {_number('l.quantity', d)} AS quantity,
       {_number('l.unit_price_cents', d)} AS unit_price_cents, {u('l.amount_cents')} AS amount, l.amount_cents
FROM tenant_invoice_lines l JOIN tenant_invoices i ON i.id = l.invoice_id
LEFT JOIN tenants t ON t.id = i.tenant_id LEFT JOIN deployments dep ON dep.id = l.deployment_id""",
        "bi_cost_vs_revenue": f"""
SELECT {_month('c.period_start', d)} AS period, c.period_start, c.tenant_id, t.name AS tenant_name,
       c.deployment_id, dep.name AS deployment_name, c.resource_kind, c.revenue_currency,
       {u('c.revenue_cents - COALESCE(k.corrections_cents, 0)')} AS revenue, c.cost_currency,
       {u('c.cost_cents')} AS cost, {u('c.cost_in_revenue_currency_cents')} AS cost_in_revenue_currency,
       {u('c.margin_cents - COALESCE(k.corrections_cents, 0)')} AS margin,
       c.revenue_cents - COALESCE(k.corrections_cents, 0) AS revenue_cents, c.cost_cents,
       c.cost_in_revenue_currency_cents, c.margin_cents - COALESCE(k.corrections_cents, 0) AS margin_cents,
       {u('c.revenue_cents')} AS invoiced_revenue, {u('COALESCE(k.corrections_cents, 0)')} AS corrections,
       {u('COALESCE(k.goodwill_cents, 0)')} AS goodwill,
       c.revenue_cents AS invoiced_revenue_cents, COALESCE(k.corrections_cents, 0) AS corrections_cents,
       COALESCE(k.goodwill_cents, 0) AS goodwill_cents
FROM cost_vs_revenue c LEFT JOIN tenants t ON t.id = c.tenant_id
LEFT JOIN deployments dep ON dep.id = c.deployment_id
LEFT JOIN (SELECT i.period_start, i.tenant_id, l.deployment_id, l.resource_kind,
                  {_sum("CASE WHEN n.purpose = 'correction' THEN nl.amount_cents ELSE 0 END", d)} AS corrections_cents,
                  {_sum("CASE WHEN n.purpose = 'goodwill' THEN nl.amount_cents ELSE 0 END", d)} AS goodwill_cents
           FROM credit_note_lines nl JOIN credit_notes n ON n.id = nl.credit_note_id
           JOIN tenant_invoice_lines l ON l.id = nl.invoice_line_id JOIN tenant_invoices i ON i.id = l.invoice_id
           WHERE i.status <> 'void'
           GROUP BY i.period_start, i.tenant_id, l.deployment_id, l.resource_kind) k
       ON c.revenue_cents > 0 AND k.period_start = c.period_start AND k.tenant_id = c.tenant_id
      AND {_same('k.deployment_id', 'c.deployment_id', d)} AND {_same('k.resource_kind', 'c.resource_kind', d)}""",
        "bi_credit_notes": f"""
SELECT n.id AS credit_note_id, n.number, n.invoice_id, i.number AS invoice_number, n.tenant_id,
       t.name AS tenant_name, {_month('i.period_start', d)} AS period, i.period_start, n.purpose, n.reason,
       n.currency, {u('n.subtotal_cents')} AS subtotal, {u('n.tax_cents')} AS tax, {u('n.total_cents')} AS total,
       n.tax_name, {_number('n.tax_rate', d)} AS tax_rate, n.subtotal_cents, n.tax_cents, n.total_cents,
       n.created_at, {_utc_date('n.created_at', d)} AS created_on
FROM credit_notes n JOIN tenant_invoices i ON i.id = n.invoice_id LEFT JOIN tenants t ON t.id = n.tenant_id""",
        "bi_credit_note_lines": f"""
SELECT nl.id AS line_id, nl.credit_note_id, n.number AS credit_note_number, nl.line_no, n.invoice_id,
       i.number AS invoice_number, nl.invoice_line_id, n.tenant_id, t.name AS tenant_name,
       {_month('i.period_start', d)} AS period, i.period_start, n.purpose, n.currency, nl.description,
       l.kind, l.deployment_id, dep.name AS deployment_name, l.resource_kind, {u('nl.amount_cents')} AS amount,
       nl.amount_cents, n.created_at
FROM credit_note_lines nl JOIN credit_notes n ON n.id = nl.credit_note_id
JOIN tenant_invoices i ON i.id = n.invoice_id JOIN tenant_invoice_lines l ON l.id = nl.invoice_line_id
LEFT JOIN tenants t ON t.id = n.tenant_id LEFT JOIN deployments dep ON dep.id = l.deployment_id""",
        "bi_ar_ageing": f"""
SELECT tenant_id, tenant_name, currency, COUNT(*) AS invoices_due, MAX(days_overdue) AS max_days_overdue,
       {u(_sum('amount_due_cents', d))} AS amount_due,
       {', '.join(f'{u(cents)} AS {name}' for name, cents in ageing_cents.items())},
       {_sum('amount_due_cents', d)} AS amount_due_cents,
       {', '.join(f'{cents} AS {name}_cents' for name, cents in ageing_cents.items())}
FROM bi_invoices WHERE amount_due_cents > 0
GROUP BY tenant_id, tenant_name, currency""",
    }


def _0007_views(d: Dialect) -> dict[str, str]:
    """Migration 0007's views, as it created them."""
    path = Path(__file__).with_name("0007_column_comments_and_bi_views.py")
    spec = importlib.util.spec_from_file_location("arcadia_migration_0007", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._views(d)


def upgrade() -> None:
    bind = op.get_bind()
    for name in OLD_VIEWS:
        op.execute(f"DROP VIEW {name}")
    for name, select in _views(dialect_of(bind)).items():
        op.execute(f"CREATE VIEW {name} AS {select}")
    write_comments(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for name in reversed(list(_views(dialect_of(bind)))):
        op.execute(f"DROP VIEW {name}")
    for name, select in _0007_views(dialect_of(bind)).items():
        op.execute(f"CREATE VIEW {name} AS {select}")
    write_comments(bind)
