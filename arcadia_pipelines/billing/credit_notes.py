"""Credit notes: what a note may credit on an invoice, and the tax it carries.

Only issued and paid invoices are credited (`lifecycle.CREDITABLE`: a draft is recomputed with
`force`, a void one is owed nothing). A note credits chosen amounts of the invoice's non-tax
lines, or, with no lines chosen, everything that remains creditable. Over all its notes a line is
never credited beyond its amount, so neither is the invoice's subtotal. The tax is computed, never
chosen: round half up(note subtotal x the invoice's stored tax rate), once per note, capped so that
the notes never credit more tax than the invoice charged; the note that credits the lines' last
remaining cent takes exactly the tax that remains, so a fully credited invoice's balance is 0.

A note is a `correction` (the default: the invoice billed what its data does not support, so
drift after invoicing counts it, and the note that credits what drift found clears it) or
`goodwill` (a concession that corrects nothing: it lowers the balance like any note, and drift,
which compares the invoice with its data, leaves it out). Pure: no SQL, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .lifecycle import CREDITABLE, DRAFT, VOID
from .money import exact, round_half_up

NUMBER_PREFIX, NUMBER_DIGITS = "CN-", 6
MAX_REASON_CHARS = 1000
CORRECTION, GOODWILL = "correction", "goodwill"
PURPOSES = (CORRECTION, GOODWILL)
MAX_AMOUNT_CENTS = 10**12  # a tenant's month at most (bounds.py): no line can hold more


class CreditRefused(Exception):
    """A credit note that cannot be made; nothing of it is kept."""


class InvalidCreditRequest(CreditRefused):
    """The request itself is wrong (no reason, an amount that is not a positive whole number of cents)."""


class UnknownLine(CreditRefused):
    """A line that is not one of the invoice's."""


class NotCreditable(CreditRefused):
    """The invoice is not in a status a credit note may correct."""


class OverCredit(CreditRefused):
    """More than remains creditable, on a line or on the invoice."""


@dataclass(frozen=True)
class CreditableLine:
    """A non-tax invoice line and what its earlier credit notes credited."""

    id: int
    line_no: int
    description: str
    amount_cents: int
    credited_cents: int = 0

    @property
    def remaining_cents(self) -> int:
        return max(self.amount_cents - self.credited_cents, 0)


@dataclass(frozen=True)
class CreditableInvoice:
    id: int
    status: str
    currency: str
    total_cents: int
    tax_cents: int
    tax_name: str | None
    tax_rate: Decimal | None  # as stored on the invoice; None: it applied no tax
    lines: tuple[CreditableLine, ...]  # non-tax lines only
    credited_cents: int = 0  # total of its earlier notes, tax included
    credited_tax_cents: int = 0

    @property
    def remaining_cents(self) -> int:
        """What its lines still allow to be credited, tax excluded."""
        return sum(ln.remaining_cents for ln in self.lines)

    @property
    def balance_cents(self) -> int:
        """What is still owed: the total less what credit notes took off, tax included."""
        return self.total_cents - self.credited_cents


@dataclass(frozen=True)
class LineCredit:
    """A request to credit `amount_cents` of invoice line `line_id`."""

    line_id: int
    amount_cents: int


@dataclass(frozen=True)
class CreditNoteLine:
    invoice_line_id: int
    line_no: int
    description: str
    amount_cents: int


@dataclass(frozen=True)
class CreditNotePlan:
    """A credit note worked out in full before anything is written: its lines, amounts and tax."""

    invoice_id: int
    reason: str
    currency: str
    lines: tuple[CreditNoteLine, ...]
    subtotal_cents: int
    tax_cents: int
    tax_name: str | None
    tax_rate: Decimal | None
    purpose: str = CORRECTION

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.tax_cents


def credit_note_number(n: int) -> str:
    """The n-th credit note's number: CN-000001, ... (more digits past 999,999)."""
    if n < 1:
        raise ValueError(f"credit note numbers start at 1, not {n}")
    return f"{NUMBER_PREFIX}{n:0{NUMBER_DIGITS}d}"


def why_not_creditable(status: str, rerun: str = "a force re-run") -> str | None:
    """None when an invoice in `status` may be credited, else what to do instead (`rerun`: how a
    draft is recomputed, as the reader would run it)."""
    if status in CREDITABLE:
        return None
    return {DRAFT: f"recompute it with {rerun}", VOID: "a void invoice is owed nothing"}.get(status, "")


def check_creditable(invoice: CreditableInvoice) -> None:
    advice = why_not_creditable(invoice.status)
    if advice is not None:
        raise NotCreditable(f"invoice {invoice.id} is {invoice.status}; a credit note needs "
                            f"{' or '.join(CREDITABLE)}" + (f" ({advice})" if advice else ""))


def _reason(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidCreditRequest("a credit note needs a reason (non-empty text)")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidCreditRequest(f"reason is over {MAX_REASON_CHARS} characters")
    return text


def _chosen(invoice: CreditableInvoice, credits: Sequence[LineCredit]) -> list[tuple[CreditableLine, int]]:
    by_id = {ln.id: ln for ln in invoice.lines}
    chosen: dict[int, tuple[CreditableLine, int]] = {}
    for c in credits:
        amount = c.amount_cents
        if type(amount) is not int or not 0 < amount <= MAX_AMOUNT_CENTS:
            raise InvalidCreditRequest(f"line {c.line_id}: amount_cents must be a whole number of cents from 1 to "
                                       f"{MAX_AMOUNT_CENTS}, got {amount!r}")
        if c.line_id in chosen:
            raise InvalidCreditRequest(f"line {c.line_id} is named more than once")
        line = by_id.get(c.line_id)
        if line is None:
            raise UnknownLine(f"invoice {invoice.id} has no creditable line {c.line_id} (tax lines are not chosen: "
                              "a note's tax follows from its lines)")
        if amount > line.remaining_cents:
            raise OverCredit(f"line {line.id} ({line.description}) has {line.remaining_cents} cents left to credit "
                             f"of {line.amount_cents}; asked {amount}")
        chosen[c.line_id] = (line, amount)
    return sorted(chosen.values(), key=lambda pair: (pair[0].line_no, pair[0].id))


def note_tax(invoice: CreditableInvoice, subtotal_cents: int) -> int:
    """The tax of a note crediting `subtotal_cents` of what remains (see the module's docstring)."""
    remaining_tax = max(invoice.tax_cents - invoice.credited_tax_cents, 0)
    if subtotal_cents >= invoice.remaining_cents:
        return remaining_tax
    if invoice.tax_rate is None:
        return 0
    return min(round_half_up(Fraction(subtotal_cents) * exact(invoice.tax_rate, "tax_rate")), remaining_tax)


def plan_credit_note(invoice: CreditableInvoice, reason: object,
                     credits: Sequence[LineCredit] | None = None, purpose: object = CORRECTION) -> CreditNotePlan:
    """The note crediting `credits` (None: everything that remains) on `invoice`, or a CreditRefused
    saying why not."""
    text = _reason(reason)
    if purpose not in PURPOSES:
        raise InvalidCreditRequest(f"purpose is {' or '.join(PURPOSES)} (a correction of what the invoice billed, "
                                   f"or a concession that corrects nothing), got {str(purpose)[:40]!r}")
    check_creditable(invoice)
    if credits is not None and not credits:
        raise InvalidCreditRequest("lines is empty; leave it out to credit everything that remains")
    if credits is not None:
        chosen = _chosen(invoice, credits)
    else:
        chosen = [(ln, ln.remaining_cents) for ln in invoice.lines if ln.remaining_cents > 0]
        if not chosen:
            raise OverCredit(f"invoice {invoice.id} is fully credited: nothing remains to credit")
    lines = tuple(CreditNoteLine(ln.id, n, ln.description, amount) for n, (ln, amount) in enumerate(chosen, 1))
    subtotal = sum(ln.amount_cents for ln in lines)
    return CreditNotePlan(invoice.id, text, invoice.currency, lines, subtotal, note_tax(invoice, subtotal),
                          invoice.tax_name, invoice.tax_rate, purpose)


def suggested_credits(invoice: CreditableInvoice, over_billed: dict[int, int]) -> list[LineCredit]:
    """The line credits that correct `over_billed` ({invoice line id: cents billed too much}, as drift
    finds it), each within what remains creditable on its line, in the invoice's line order."""
    return [LineCredit(ln.id, min(over_billed[ln.id], ln.remaining_cents)) for ln in invoice.lines
            if over_billed.get(ln.id, 0) > 0 and ln.remaining_cents > 0]
