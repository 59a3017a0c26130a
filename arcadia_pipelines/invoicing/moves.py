"""A status move by name (billing/lifecycle.MOVES), for the API and the CLI: one service each."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from arcadia_pipelines.billing.lifecycle import Move

from .issue import issue_invoice
from .pay import pay_invoice
from .void import void_invoice

SERVICES = {"issue": issue_invoice, "pay": pay_invoice, "void": void_invoice}


def apply_move(conn: sa.Connection, invoice_id: int, move: Move | str, now: datetime,
               tenant_id: str | None = None) -> dict:
    """Make `move` on the invoice (in `tenant_id`'s scope when given) in the caller's transaction;
    returns the columns it set. Raises InvoiceNotFound, or MoveNotAllowed when the invoice is not
    in a status the move may start from (or MoveRefused for another reason it cannot be made)."""
    name = move if isinstance(move, str) else move.name
    return SERVICES[name](conn, invoice_id, now, tenant_id)
