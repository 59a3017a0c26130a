"""The credit-note rules (billing/credit_notes.py): what may be credited, and the tax each note carries."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from arcadia_pipelines.billing.credit_notes import (
    CreditableInvoice,
    CreditableLine,
    InvalidCreditRequest,
    LineCredit,
    NotCreditable,
    OverCredit,
    UnknownLine,
    credit_note_number,
    plan_credit_note,
)


def invoice(*amounts: int, tax: int | None = None, rate: str | None = "0.1", status: str = "issued"):
    lines = tuple(CreditableLine(10 + n, n, f"line {n}", a) for n, a in enumerate(amounts, 1))
    subtotal = sum(amounts)
    tax = (subtotal // 10 if tax is None else tax) if rate else 0
    return CreditableInvoice(1, status, "AUD", subtotal + tax, tax, "GST" if rate else None,
                             Decimal(rate) if rate else None, lines)


def applied(inv: CreditableInvoice, reason: str = "fix", credits=None) -> tuple[CreditableInvoice, object]:
    """The note, and the invoice as the next note sees it."""
    note = plan_credit_note(inv, reason, credits)
    got = {ln.invoice_line_id: ln.amount_cents for ln in note.lines}
    lines = tuple(replace(ln, credited_cents=ln.credited_cents + got.get(ln.id, 0)) for ln in inv.lines)
    return replace(inv, lines=lines, credited_cents=inv.credited_cents + note.total_cents,
                   credited_tax_cents=inv.credited_tax_cents + note.tax_cents), note


def test_no_lines_credits_everything_that_remains_with_the_invoices_tax():
    inv = invoice(5000, 750, 672, tax=642)
    after, note = applied(inv, "  duplicate billing  ")
    assert [(ln.invoice_line_id, ln.line_no, ln.amount_cents) for ln in note.lines] == [(11, 1, 5000), (12, 2, 750),
                                                                                        (13, 3, 672)]
    assert (note.subtotal_cents, note.tax_cents, note.total_cents) == (6422, 642, 7064)
    assert note.reason == "duplicate billing" and (note.tax_name, note.tax_rate) == ("GST", Decimal("0.1"))
    assert after.balance_cents == 0
    with pytest.raises(OverCredit, match="fully credited"):
        plan_credit_note(after, "again")


@pytest.mark.parametrize(("amount", "tax"), [(5, 1), (14, 1), (15, 2), (25, 3), (3211, 321), (4, 0)])
def test_tax_is_the_notes_subtotal_times_the_invoices_rate_rounded_half_up_once(amount, tax):
    note = plan_credit_note(invoice(1422, 5000, tax=642), "r", [LineCredit(12, amount)])
    assert (note.subtotal_cents, note.tax_cents, note.total_cents) == (amount, tax, amount + tax)


def test_rounding_per_note_never_credits_more_tax_than_the_invoice_charged():
    inv = invoice(5, 5, 5, 1, tax=2)  # 16 x 0.1 = 1.6 -> 2, but 5 x 0.1 rounds up to 1 each time
    taxes = []
    for line_id in (11, 12, 13, 14):
        inv, note = applied(inv, "r", [LineCredit(line_id, 5 if line_id < 14 else 1)])
        taxes.append(note.tax_cents)
    assert taxes == [1, 1, 0, 0] and inv.credited_tax_cents == 2 and inv.balance_cents == 0


def test_the_note_that_credits_the_last_remaining_cent_takes_the_remaining_tax():
    inv = invoice(13, 13, tax=3)  # 26 x 0.1 = 2.6 -> 3; each half alone rounds 1.3 down to 1
    inv, first = applied(inv, "r", [LineCredit(11, 13)])
    inv, last = applied(inv, "r", [LineCredit(12, 13)])
    assert (first.tax_cents, last.tax_cents) == (1, 2) and inv.balance_cents == 0


def test_a_line_is_never_credited_beyond_its_amount_over_all_notes():
    inv = invoice(5000, 1422, tax=642)
    inv, _ = applied(inv, "r", [LineCredit(11, 3000)])
    with pytest.raises(OverCredit, match="line 11 .* has 2000 cents left to credit of 5000; asked 2001"):
        plan_credit_note(inv, "r", [LineCredit(11, 2001)])
    inv, note = applied(inv, "r", [LineCredit(11, 2000), LineCredit(12, 1422)])
    assert (note.subtotal_cents, note.tax_cents) == (3422, 642 - 300) and inv.balance_cents == 0
    with pytest.raises(OverCredit):
        plan_credit_note(inv, "r", [LineCredit(12, 1)])


def test_an_invoice_without_tax_credits_no_tax():
    note = plan_credit_note(invoice(5000, 1422, rate=None), "r", [LineCredit(11, 999)])
    assert (note.tax_cents, note.total_cents, note.tax_name, note.tax_rate) == (0, 999, None, None)


@pytest.mark.parametrize(("status", "advice"), [("draft", "force re-run"), ("void", "owed nothing")])
def test_only_issued_and_paid_invoices_are_credited(status, advice):
    with pytest.raises(NotCreditable, match=f"invoice 1 is {status}; a credit note needs issued or paid .*{advice}"):
        plan_credit_note(invoice(5000, status=status), "r")
    assert plan_credit_note(invoice(5000, status="paid"), "r").subtotal_cents == 5000


@pytest.mark.parametrize(("reason", "credits", "refusal"), [
    ("", None, InvalidCreditRequest), ("   ", None, InvalidCreditRequest), (None, None, InvalidCreditRequest),
    ("x" * 1001, None, InvalidCreditRequest), ("r", [], InvalidCreditRequest),
    ("r", [LineCredit(11, 0)], InvalidCreditRequest), ("r", [LineCredit(11, -5)], InvalidCreditRequest),
    ("r", [LineCredit(11, True)], InvalidCreditRequest), ("r", [LineCredit(11, 1.0)], InvalidCreditRequest),
    ("r", [LineCredit(11, Decimal(1))], InvalidCreditRequest),
    ("r", [LineCredit(11, 1), LineCredit(11, 1)], InvalidCreditRequest),
    ("r", [LineCredit(99, 1)], UnknownLine),
])
def test_bad_requests_are_refused_naming_the_rule(reason, credits, refusal):
    with pytest.raises(refusal):
        plan_credit_note(invoice(5000, 1422), reason, credits)


def test_numbers():
    assert [credit_note_number(n) for n in (1, 42, 1_000_000)] == ["CN-000001", "CN-000042", "CN-1000000"]
    with pytest.raises(ValueError):
        credit_note_number(0)
