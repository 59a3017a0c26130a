"""What every status move shares: the invoice's row locked in the caller's scope, then its new
status, the move's timestamp and the move's event, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from arcadia_pipelines.billing.lifecycle import InvoiceNotFound, Move, MoveNotAllowed
from arcadia_pipelines.warehouse.schema import tenant_invoices

from .events import append_events


def lock_invoice(conn: sa.Connection, invoice_id: int, tenant_id: str | None = None) -> sa.Row:
    """The invoice's status, tenant and hold (in `tenant_id`'s scope when given), its row locked
    until the transaction ends (SQLite: the write lock); InvoiceNotFound otherwise."""
    i = tenant_invoices
    scope = [i.c.id == invoice_id, *([i.c.tenant_id == tenant_id] if tenant_id is not None else [])]
    current = conn.execute(sa.select(i.c.status, i.c.tenant_id, i.c.held_reason).where(*scope).with_for_update()).first()
    if current is None:
        raise InvoiceNotFound(invoice_id)
    return current


def change_status(conn: sa.Connection, invoice_id: int, current: sa.Row, move: Move, now: datetime,
                  values: dict | None = None) -> dict:
    """Set the move's status and timestamp (and `values`) and append its event; returns the columns set."""
    values = {"status": move.target, move.stamp: now, "updated_at": now, **(values or {})}
    i = tenant_invoices
    done = conn.execute(sa.update(i).where(i.c.id == invoice_id, i.c.status == current.status).values(values))
    if done.rowcount != 1:  # defensive: the row is locked (SQLite: the write lock)
        raise MoveNotAllowed(invoice_id, "changed meanwhile", move)
    append_events(conn, sa.literal(move.event, sa.Text), i.c.id == invoice_id)
    return values
