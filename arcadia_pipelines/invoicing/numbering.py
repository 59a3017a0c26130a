"""Gap-free numbers for invoices (INV-) and credit notes (CN-), drawn in the caller's transaction.

Each kind has one sequence row, incremented with its lock held until the transaction ends: a
rolled-back issue or note gives its number back, and two writers draw one after the other.
"""

from __future__ import annotations

import sqlalchemy as sa

from arcadia_pipelines.billing.credit_notes import credit_note_number
from arcadia_pipelines.billing.lifecycle import invoice_number
from arcadia_pipelines.warehouse.dialect import dialect_of
from arcadia_pipelines.warehouse.schema import credit_note_number_sequence, invoice_number_sequence


def ensure_sequence_row(conn: sa.Connection, sequence: sa.Table) -> None:
    """The one row exists (migrations 0008 and 0010 add them; this keeps a warehouse whose tables
    were emptied working)."""
    conn.execute(dialect_of(conn).insert_ignoring_conflicts(sequence).values(id=1, last_number=0))


def _next(conn: sa.Connection, sequence: sa.Table) -> int:
    """Increment the sequence row, locking it until the transaction ends."""
    ensure_sequence_row(conn, sequence)
    return conn.scalar(sa.update(sequence).where(sequence.c.id == 1)
                       .values(last_number=sequence.c.last_number + 1).returning(sequence.c.last_number))


def next_invoice_number(conn: sa.Connection) -> str:
    return invoice_number(_next(conn, invoice_number_sequence))


def next_credit_note_number(conn: sa.Connection) -> str:
    return credit_note_number(_next(conn, credit_note_number_sequence))
