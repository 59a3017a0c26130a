"""What to do about an invoice that no longer matches its data, in plain words, by status and by
the credit notes it carries.

A draft is recomputed. An issued or paid invoice never changes: what it over-billed is credited
with a correction credit note (`credit-note suggest` prints it), what it under-billed cannot be
added to it (a credit note only lowers an invoice), so it is billed on next month's invoice or on
a separate one. Correction notes count in drift; goodwill notes, concessions, do not: a full
correction credit on an invoice whose data stands reads as under-billing, which is right when the
note corrected an error and wrong when it was a concession that should have been goodwill.
"""

from __future__ import annotations

from arcadia_pipelines.billing.lifecycle import RECOMPUTABLE
from arcadia_pipelines.billing.money import format_cents

def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _notes(numbers: tuple[str, ...]) -> str:
    return ", ".join(numbers)


def advice(d) -> str:
    """One line: what differs on `d` (an InvoiceDrift, drift.py) and what to do."""
    if d.status in RECOMPUTABLE:
        return f"draft: re-run with force (arcadia-pipelines rollup --period {d.period.label} --force)"

    def money(cents: int) -> str:
        return f"{format_cents(cents)} {d.currency}"

    todo = []
    if d.over_billed_cents:
        over = (f"over-billed {money(d.over_billed_cents)}: issue a correction credit note "
                f"(arcadia-pipelines credit-note suggest {d.invoice_id})")
        if d.status == "paid":
            over += "; the tenant has paid, so refund the credit or set it against their next invoice"
        if d.goodwill_notes:
            over += (f"; its goodwill credit notes ({_notes(d.goodwill_notes)}) do not count here: a concession "
                     "corrects nothing, so they do not lower what the data says was over-billed")
        todo.append(over)
    if d.under_billed_cents:
        under = (f"under-billed {money(d.under_billed_cents)}: {_article(d.status)} invoice cannot be raised, so "
                 "bill the difference on next month's invoice or on a separate invoice (a credit note only lowers "
                 "an invoice)")
        if d.correction_notes and d.under_billed_cents <= d.correction_credited_cents:
            under += (f"; its correction credit notes ({_notes(d.correction_notes)}) credit more than the data "
                      "supports: if that was a concession, not an error, there is nothing to bill (make such a note "
                      "with purpose goodwill)")
        todo.append(under)
    return "; ".join(todo) or f"{d.status}: totals differ by {money(d.difference_cents)}, no line differs"
