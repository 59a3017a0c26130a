"""Void a draft or an issued invoice, unless credit notes already correct it (they would stand
against nothing: credit what remains instead)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from arcadia_pipelines.billing.lifecycle import MOVES, check_move
from arcadia_pipelines.warehouse.schema import credit_notes

from .status_change import change_status, lock_invoice

VOID = MOVES["void"]


def void_invoice(conn: sa.Connection, invoice_id: int, now: datetime, tenant_id: str | None = None) -> dict:
    """Void the invoice in the caller's transaction; returns the columns set. Raises
    InvoiceNotFound, MoveNotAllowed (paid or void) or MoveRefused (it has credit notes)."""
    current = lock_invoice(conn, invoice_id, tenant_id)
    credited = conn.scalar(sa.select(sa.exists().where(credit_notes.c.invoice_id == invoice_id)))
    check_move(invoice_id, current.status, VOID, credited=bool(credited))
    return change_status(conn, invoice_id, current, VOID, now)
