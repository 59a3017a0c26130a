"""Mark an issued invoice paid."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from arcadia_pipelines.billing.lifecycle import MOVES, check_move

from .status_change import change_status, lock_invoice

PAY = MOVES["pay"]


def pay_invoice(conn: sa.Connection, invoice_id: int, now: datetime, tenant_id: str | None = None) -> dict:
    """Mark the invoice paid in the caller's transaction; returns the columns set. Raises
    InvoiceNotFound or MoveNotAllowed (not issued)."""
    current = lock_invoice(conn, invoice_id, tenant_id)
    check_move(invoice_id, current.status, PAY)
    return change_status(conn, invoice_id, current, PAY, now)
