"""Invoice reads and status moves for the API, scoped to the caller.

Every query carries the caller's tenant scope, so another tenant's invoice is simply not
found. Status moves set `status`, timestamps and (on issue) the number, due date and billing details:
amounts never change here.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from arcadia_pipelines.billing.lifecycle import (  # noqa: F401 - MOVES for app.py
    MOVES,
    InvalidPaymentTerms,
    InvoiceHeld,
    InvoiceNotFound,
    MoveNotAllowed,
    MoveRefused,
)
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines.warehouse.credit_notes import balance_columns
from arcadia_pipelines.warehouse.schema import tenant_invoice_lines as lines_t
from arcadia_pipelines.warehouse.schema import tenant_invoices as inv_t

from .errors import ApiError
from .keys import Principal
from .params import Cursor, ListQuery

def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f")  # exact, never in exponent form


def _same(value):
    return value


# what each type the drivers return becomes in JSON, by exact type: one lookup per value (a list
# page is 50 rows of 24 columns); any other type goes through _json_other
_AS_JSON = {datetime: _timestamp, date: date.isoformat, Decimal: _decimal, str: _same, int: _same, bool: _same,
            type(None): _same}


def _json_other(value):
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _decimal(value)
    return value


def json_value(value):
    """One value in the API's JSON form: timestamps and dates ISO 8601, exact decimals as text."""
    return _AS_JSON.get(type(value), _json_other)(value)


def _json(row: sa.Row) -> dict:
    return {k: json_value(v) for k, v in zip(row._fields, row)}


_WITH_BALANCE = sa.select(inv_t, *balance_columns())  # built once; every read narrows a copy of it


def _scoped(stmt: sa.Select, who: Principal) -> sa.Select:
    return stmt if who.is_admin else stmt.where(inv_t.c.tenant_id == who.tenant_id)


def list_page(conn: sa.Connection, who: Principal, q: ListQuery) -> tuple[list[dict], str | None]:
    """One page in (period_start DESC, id DESC) order, and the cursor of the next page if any.

    Keyset paging: the next page starts strictly after the last row handed out, so rows
    added meanwhile never make a page repeat or skip a row. The index on (period_start, id)
    (migration 0016) is this order: a page is read backwards along it and stops after its rows,
    whatever the size of the month, and only those rows' balances are summed."""
    stmt = _scoped(_WITH_BALANCE, who)
    if q.tenant_id is not None:  # for a tenant key this narrows within its own scope, never widens it
        stmt = stmt.where(inv_t.c.tenant_id == q.tenant_id)
    if q.period is not None:
        stmt = stmt.where(inv_t.c.period_start == q.period.start)
    if q.status is not None:
        stmt = stmt.where(inv_t.c.status == q.status)
    if q.number is not None:
        stmt = stmt.where(inv_t.c.number == q.number)
    if q.cursor is not None:
        c = q.cursor
        stmt = stmt.where(sa.or_(inv_t.c.period_start < c.period_start,
                                 sa.and_(inv_t.c.period_start == c.period_start, inv_t.c.id < c.id)))
    rows = conn.execute(stmt.order_by(inv_t.c.period_start.desc(), inv_t.c.id.desc()).limit(q.limit + 1)).all()
    page = rows[:q.limit]
    more = len(rows) > q.limit
    return [_json(r) for r in page], Cursor(page[-1].period_start, page[-1].id).encode() if more else None


def get_invoice(conn: sa.Connection, who: Principal, invoice_id: int) -> dict:
    """The invoice with its lines (by line_no); 404 when unknown or not the caller's."""
    row = conn.execute(_scoped(_WITH_BALANCE.where(inv_t.c.id == invoice_id), who)).first()
    if row is None:
        raise ApiError(404, "no such invoice")
    lines = conn.execute(sa.select(lines_t).where(lines_t.c.invoice_id == invoice_id)
                         .order_by(lines_t.c.line_no, lines_t.c.id))
    return {**_json(row), "lines": [_json(ln) for ln in lines]}


def move(engine: sa.Engine, who: Principal, invoice_id: int, name: str) -> dict:
    """Apply status move `name` (billing/lifecycle.py) in one transaction, with what it sets (an issue's
    number, due date and billing details) and its event (invoicing/); 409 when the
    invoice is not (or no longer) in a status it may start from, so of two concurrent moves at most one wins,
    409 `invoice_held` for issuing a draft held back by bad input, 409 `invalid_payment_terms` for
    issuing one whose tenant's payment terms are out of bounds."""
    with engine.begin() as conn:
        try:
            apply_move(conn, invoice_id, name, datetime.now(timezone.utc), who.scope)
        except InvoiceNotFound:
            raise ApiError(404, "no such invoice") from None
        except MoveNotAllowed as e:
            raise ApiError(409, str(e), "invalid_transition") from None
        except InvoiceHeld as e:
            raise ApiError(409, str(e), "invoice_held") from None
        except InvalidPaymentTerms as e:
            raise ApiError(409, f"invoice {invoice_id}: {e}", InvalidPaymentTerms.rule) from None
        except MoveRefused as e:
            raise ApiError(409, f"invoice {invoice_id}: {e}") from None
        return get_invoice(conn, who, invoice_id)
