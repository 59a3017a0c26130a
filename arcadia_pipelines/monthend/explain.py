"""Why this number? Each invoice line with the usage evidence behind it, for the API and `explain`
(whose text is cli/explain.py).

An overage line's usage is the sum of its subscription's `usage_evidence` rows for its meter in the
invoice's month (the `usage_matches_its_evidence` check proves that sum equals `deployment_usage`).
The summary sets them against the line: usage, included (the plan meter's allowance x the
proration, as the quote engine computes it), overage, unit price and amount. When the evidence
no longer gives the line's quantity (usage or a subscription changed after invoicing), the summary
says so. Plan, addon and tax lines are not metered: no evidence, a note why.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.money import exact, to_decimal
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.warehouse.reads import load_plan_versions
from arcadia_pipelines.warehouse.schema import subscriptions, tenant_invoice_lines, tenant_invoices, usage_evidence

NOT_METERED = {
    "plan_base": "plan lines are not metered: the plan's monthly price x the share of the month's days billed",
    "addon": "addon lines are not metered: the addon's monthly price x its quantity x the share of the month's "
             "days billed",
    "tax": "tax lines are not metered: the tax rate x the invoice's subtotal",
}


def exact_text(value) -> str | None:
    """An exact number as fixed-point text (at most 6 decimals for a rational that has more, like
    the stored line quantities)."""
    if value is None:
        return None
    d = value if isinstance(value, Decimal) else to_decimal(exact(value))
    return f"{d.normalize():f}" if d else "0"


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _evidence(r: sa.Row) -> dict:
    return {"resource_kind": r.resource_kind, "resource_id": r.resource_id, "started_at": _stamp(r.started_at),
            "window_start": _stamp(r.window_start), "window_end": _stamp(r.window_end), "hours": r.hours,
            "size": exact_text(r.size), "quantity": exact_text(r.quantity)}


def _included(conn: sa.Connection, period: Period, line: sa.Row) -> Fraction | None:
    """The line's allowance as the quote engine computes it now: the plan meter's included
    quantity x the proration of the subscription's window; None when that cannot be computed."""
    sub = conn.execute(sa.select(subscriptions.c.plan_code, subscriptions.c.started_at, subscriptions.c.ended_at)
                       .where(subscriptions.c.id == line.subscription_id)).first()
    try:
        window = sub and period.window(sub.started_at, sub.ended_at)
        plan = window and load_plan_versions(conn, sub.plan_code).require(sub.plan_code, period.start)
    except (BillingError, TypeError, AttributeError):  # a price or timestamp that is no longer valid
        return None
    meter = next((m for m in plan.meters if m.meter == line.meter), None) if plan else None
    return meter.included_quantity * window.proration if meter else None


def line_usage(conn: sa.Connection, invoice: sa.Row, line: sa.Row) -> dict:
    """The usage behind one line of `invoice`: its evidence rows and summary, or a note."""
    answer = {"invoice_id": invoice.id, "line_id": line.id, "line_no": line.line_no, "kind": line.kind,
              "description": line.description, "subscription_id": line.subscription_id, "meter": line.meter,
              "period_start": invoice.period_start.isoformat()}
    if line.kind != "overage":
        return {**answer, "summary": None, "evidence": [], "note": NOT_METERED.get(line.kind, "not metered")}
    ev = usage_evidence
    rows = conn.execute(sa.select(ev).where(ev.c.period_start == invoice.period_start,
                                            ev.c.subscription_id == line.subscription_id,
                                            ev.c.meter == line.meter, ev.c.tenant_id == invoice.tenant_id)
                        .order_by(ev.c.resource_kind, ev.c.resource_id, ev.c.started_at)).all()
    usage = sum((exact(r.quantity) for r in rows), Fraction(0))
    included = _included(conn, Period(invoice.period_start), line)
    matches = included is not None and to_decimal(usage - included) == line.quantity
    note = None
    if not rows:
        note = ("no usage evidence recorded for this line: its month was rolled up before usage_evidence existed, "
                "or its usage was recomputed since")
    elif not matches:
        note = ("the evidence no longer gives this line's quantity: usage, the subscription or the price book "
                "changed after invoicing (see the invoices_match_current_data check)")
    summary = {"usage": exact_text(usage), "included": exact_text(included),
               "overage_quantity": exact_text(line.quantity),
               "unit_price_cents": exact_text(line.unit_price_cents), "amount_cents": line.amount_cents,
               "matches_line": matches}
    return {**answer, "summary": summary, "evidence": [_evidence(r) for r in rows], "note": note}


def invoice_row(conn: sa.Connection, invoice_id: int, tenant_id: str | None = None) -> sa.Row | None:
    """The invoice, only if it is `tenant_id`'s when one is given."""
    i = tenant_invoices
    stmt = sa.select(i).where(i.c.id == invoice_id)
    return conn.execute(stmt if tenant_id is None else stmt.where(i.c.tenant_id == tenant_id)).first()


def invoice_lines(conn: sa.Connection, invoice_id: int, line_id: int | None = None) -> list[sa.Row]:
    ln = tenant_invoice_lines
    stmt = sa.select(ln).where(ln.c.invoice_id == invoice_id).order_by(ln.c.line_no, ln.c.id)
    return conn.execute(stmt if line_id is None else stmt.where(ln.c.id == line_id)).all()


def explain_invoice(conn: sa.Connection, invoice_id: int) -> dict:
    """The invoice with every line's usage; ValueError when the warehouse has no such invoice."""
    invoice = invoice_row(conn, invoice_id)
    if invoice is None:
        raise ValueError(f"no invoice {invoice_id} in the warehouse (is ARCADIA_WAREHOUSE_URL the warehouse you "
                         "meant?)")
    head = {k: v.isoformat() if isinstance(v, date) else v for k, v in invoice._mapping.items()
            if k in ("id", "tenant_id", "period_start", "status", "currency", "subtotal_cents", "tax_cents",
                     "total_cents", "number", "held_reason")}
    return {"invoice": head, "lines": [{**line_usage(conn, invoice, ln), "amount_cents": ln.amount_cents}
                                       for ln in invoice_lines(conn, invoice_id)]}
