"""The invoice lifecycle, in one place: its statuses, the moves between them, what each move sets,
what a month-end re-run may do, and how numbers and due dates are made.

    draft --issue--> issued --pay--> paid
      |                 |
      +----void---------+---> void

Only drafts are recomputed by a re-run with `force`; issued, paid and void invoices keep their
amounts forever (a correction is a credit note). Pure: no SQL, no clock; the moves are carried out
by invoicing/ (one module per move).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .bounds import MAX_PAYMENT_TERMS_DAYS

STATUSES = ("draft", "issued", "paid", "void")
DRAFT, ISSUED, PAID, VOID = STATUSES
RECOMPUTABLE = (DRAFT,)  # what a month-end re-run with `force` may recompute in place
CREDITABLE = (ISSUED, PAID)  # what a credit note may correct (billing/credit_notes.py)
DEFAULT_PAYMENT_TERMS_DAYS = 14
NUMBER_PREFIX, NUMBER_DIGITS = "INV-", 6


@dataclass(frozen=True)
class Move:
    name: str
    sources: tuple[str, ...]  # statuses it may start from
    target: str
    stamp: str  # the timestamp column it sets (with updated_at)
    event: str  # the kind of event it appends
    assigns_number: bool = False  # number, due date and billing details snapshot


MOVES: dict[str, Move] = {m.name: m for m in (
    Move("issue", (DRAFT,), ISSUED, "issued_at", "issued", assigns_number=True),
    Move("pay", (ISSUED,), PAID, "paid_at", "paid"),
    Move("void", (DRAFT, ISSUED), VOID, "voided_at", "voided"),
)}


class InvoiceNotFound(LookupError):
    """No such invoice in the caller's scope."""


class MoveRefused(Exception):
    """A move that cannot be made; nothing of it is kept."""


class MoveNotAllowed(MoveRefused):
    """The invoice is not (or no longer) in a status the move may start from."""

    def __init__(self, invoice_id: int, status: str, move: Move):
        self.invoice_id, self.status, self.move = invoice_id, status, move
        super().__init__(f"invoice {invoice_id} is {status}; {move.name} needs {' or '.join(move.sources)}")


class InvoiceHeld(MoveRefused):
    """A draft held back because its month has a billing error: it cannot be issued until the input
    is fixed and the month re-run (invoicing/drafts.py)."""

    def __init__(self, invoice_id: int, reason: str):
        self.invoice_id, self.reason = invoice_id, reason
        super().__init__(f"invoice {invoice_id} is held back by bad input ({reason}); fix the input and re-run "
                         "the month, which recomputes the draft")


class InvalidPaymentTerms(MoveRefused):
    """The tenant's payment terms are no whole number of days within bounds: an issue would have no
    real due date. Fix `tenants.payment_terms_days` and issue again."""

    rule = "invalid_payment_terms"


def check_move(invoice_id: int, status: str, move: Move, credited: bool = False) -> None:
    """Refuses a move from a status it may not start from, and voiding an invoice that credit notes
    already correct (the notes would stand against nothing: credit what remains instead)."""
    if status not in move.sources:
        raise MoveNotAllowed(invoice_id, status, move)
    if credited and move.target == VOID:
        raise MoveRefused("it has credit notes, so it cannot be voided; credit what remains instead")


def invoice_number(n: int) -> str:
    """The n-th invoice's number: INV-000001, ... (more digits past 999,999)."""
    if n < 1:
        raise ValueError(f"invoice numbers start at 1, not {n}")
    return f"{NUMBER_PREFIX}{n:0{NUMBER_DIGITS}d}"


def due_at(issued_at: datetime, payment_terms_days: object) -> datetime:
    """Issue time plus the tenant's payment terms (DEFAULT_PAYMENT_TERMS_DAYS when it has none);
    InvalidPaymentTerms unless they are a whole number of days from 0 to MAX_PAYMENT_TERMS_DAYS
    (SQLite keeps any value in an integer column)."""
    days = DEFAULT_PAYMENT_TERMS_DAYS if payment_terms_days is None else payment_terms_days
    if type(days) is not int or not 0 <= days <= MAX_PAYMENT_TERMS_DAYS:
        raise InvalidPaymentTerms(f"{InvalidPaymentTerms.rule}: the tenant's payment_terms_days is {days!r}; payment "
                                  f"terms are whole days from 0 to {MAX_PAYMENT_TERMS_DAYS} (billing/bounds.py)")
    return issued_at + timedelta(days=days)
