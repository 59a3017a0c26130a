"""What the drift check tells finance to do, in plain words: for issued and paid invoices, over- and
under-billed, and with credit notes of each purpose on them."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from arcadia_pipelines.billing.credit_notes import LineCredit
from arcadia_pipelines.monthend.drift import invoice_drift
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines_tests.builders import World, at, rows

from .runs import run_drift
from .test_drift_check import APRIL, NOW, drift_check, invoiced_april

PAID = datetime(2026, 5, 9, tzinfo=timezone.utc)
BILL_SEPARATELY = ("so bill the difference on next month's invoice or on a separate invoice (a credit note only "
                   "lowers an invoice)")


def paid_pilot(engine, instance) -> dict:
    pilot = invoiced_april(engine, instance)["pilot"]
    with engine.begin() as c:
        apply_move(c, pilot["id"], "issue", NOW)
        apply_move(c, pilot["id"], "pay", PAID)
    return pilot


def the_drift(engine):
    with engine.connect() as c:
        [drift] = invoice_drift(c, APRIL)
    return drift


def test_a_paid_invoice_under_billed_is_billed_on_the_next_invoice(engine, instance):
    paid_pilot(engine, instance)
    World(engine).resource("dep-pilot", "pilot-late", at(2026, 4, 20), at(2026, 4, 25))
    assert the_drift(engine).action == f"under-billed 1.20 AUD: a paid invoice cannot be raised, {BILL_SEPARATELY}"


def test_a_paid_invoice_over_billed_gets_a_correction_note_and_a_refund_or_credit(engine, instance):
    pilot = paid_pilot(engine, instance)
    with engine.begin() as c:
        c.execute(sa.update(t.metered_resources).where(t.metered_resources.c.resource_id == "pilot-droplet-0")
                  .values(ended_at=at(2026, 4, 21)))
    assert the_drift(engine).action == (
        f"over-billed 2.40 AUD: issue a correction credit note (arcadia-pipelines credit-note suggest {pilot['id']}); "
        "the tenant has paid, so refund the credit or set it against their next invoice")


def test_a_concession_made_as_a_correction_reads_as_under_billing_and_says_so(engine, instance):
    """The README's first version: 'cancelled in week one' credited in full as a correction."""
    pilot = paid_pilot(engine, instance)
    with engine.begin() as c:
        create_credit_note(c, pilot["id"], "cancelled in week one", None, NOW)
    check = drift_check(run_drift(instance))
    [row] = [ln for ln in check.metadata["worst_first"].value.splitlines() if f"| {pilot['id']} |" in ln]
    assert row.endswith(
        f"| under-billed 64.22 AUD: a paid invoice cannot be raised, {BILL_SEPARATELY}; its correction credit notes "
        "(CN-000001) credit more than the data supports: if that was a concession, not an error, there is nothing to "
        "bill (make such a note with purpose goodwill) |")


def test_goodwill_notes_are_named_as_not_counting_when_the_invoice_is_over_billed(engine, instance):
    pilot = invoiced_april(engine, instance)["pilot"]
    storage = next(ln["id"] for ln in rows(engine, t.tenant_invoice_lines, invoice_id=pilot["id"])
                   if ln["kind"] == "addon")
    with engine.begin() as c:
        apply_move(c, pilot["id"], "issue", NOW)
        create_credit_note(c, pilot["id"], "sorry for the outage", [LineCredit(storage, 300)], NOW, purpose="goodwill")
        c.execute(sa.update(t.metered_resources).where(t.metered_resources.c.resource_id == "pilot-droplet-0")
                  .values(ended_at=at(2026, 4, 21)))
    drift = the_drift(engine)
    assert (drift.goodwill_notes, drift.correction_notes) == (("CN-000001",), ())
    assert drift.action == (
        f"over-billed 2.40 AUD: issue a correction credit note (arcadia-pipelines credit-note suggest {pilot['id']}); "
        "its goodwill credit notes (CN-000001) do not count here: a concession corrects nothing, so they do not "
        "lower what the data says was over-billed")
