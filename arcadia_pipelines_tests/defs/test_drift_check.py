"""`invoices_match_current_data`: after invoicing, late or corrected data is named with what to do."""

from datetime import datetime, timezone

import dagster as dg
import sqlalchemy as sa

from arcadia_pipelines.billing.credit_notes import LineCredit
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.monthend.drift import invoice_drift
from arcadia_pipelines.warehouse import schema as t
from arcadia_pipelines.invoicing.credit import create_credit_note
from arcadia_pipelines.invoicing.moves import apply_move
from arcadia_pipelines_tests.builders import World, at, rows

from .runs import evaluations, run, run_drift
from .test_checks_without_a_partition import execute_all_checks

APRIL = Period.parse("2026-04")
FORCE = {"ops": {"tenant_invoices": {"config": {"force": True}}}}
NOW = datetime(2026, 5, 2, tzinfo=timezone.utc)


def drift_check(result):
    [check] = [e for e in evaluations(result) if e.check_name == "invoices_match_current_data"]
    return check


def invoiced_april(engine, instance):
    """The worked example (pilot, 70.64 AUD) and a second tenant, invoiced through Dagster."""
    World(engine).worked_example().tax_rate("AU", "0.1", "GST 10%").example_tenant("quiet")
    assert run(instance).success
    assert drift_check(run_drift(instance)).passed
    return {i["tenant_id"]: i for i in rows(engine, t.tenant_invoices)}


def test_late_usage_names_exactly_that_draft_and_a_force_run_clears_it(engine, instance):
    invoices = invoiced_april(engine, instance)
    World(engine).resource("dep-pilot", "pilot-late", at(2026, 4, 20), at(2026, 4, 25))  # 120 h more, 1 cent each

    assert run(instance).success
    drifted = run_drift(instance)

    assert drifted.success  # a warning, not a failure
    check = drift_check(drifted)
    assert (check.passed, check.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert check.metadata["drifted_invoices"].value == 1
    table = check.metadata["worst_first"].value
    assert (f"| 2026-04 | {invoices['pilot']['id']} | pilot | draft | 70.64 AUD | 71.96 AUD | 1.32 AUD | "
            "Overage: droplet_hours (2280 used, 1488 included): +1.20 | "
            "draft: re-run with force (arcadia-pipelines rollup --period 2026-04 --force) |") in table
    assert "quiet" not in table
    with engine.connect() as c:
        [drift] = invoice_drift(c, APRIL)
    assert (drift.invoice_id, drift.difference_cents, [ln.difference_cents for ln in drift.lines]) == (
        invoices["pilot"]["id"], 132, [120])

    assert run(instance, run_config=FORCE).success
    cleared = drift_check(run_drift(instance))
    assert cleared.passed
    assert cleared.metadata["worst_first"].value.count("\n") == 1  # the header only
    assert {i["tenant_id"]: i["total_cents"] for i in rows(engine, t.tenant_invoices)} == {"pilot": 7196, "quiet": 7064}


def test_over_billing_an_issued_invoice_suggests_a_credit_note_and_applying_it_clears_the_drift(engine, instance):
    pilot = invoiced_april(engine, instance)["pilot"]
    with engine.begin() as c:
        apply_move(c, pilot["id"], "issue", NOW)
        # a droplet that really stopped on 21 April: 240 of its 720 hours were billed in error
        c.execute(sa.update(t.metered_resources).where(t.metered_resources.c.resource_id == "pilot-droplet-0")
                  .values(ended_at=at(2026, 4, 21)))

    drifted = run_drift(instance)

    assert drifted.success
    check = drift_check(drifted)
    assert not check.passed
    row = next(ln for ln in check.metadata["worst_first"].value.splitlines() if f"| {pilot['id']} |" in ln)
    assert ("| issued | 70.64 AUD | 68.00 AUD | -2.64 AUD | Overage: droplet_hours (1920 used, 1488 included): -2.40 | "
            "over-billed 2.40 AUD: issue a correction credit note "
            f"(arcadia-pipelines credit-note suggest {pilot['id']}) |") in row
    assert [i["total_cents"] for i in rows(engine, t.tenant_invoices, tenant_id="pilot")] == [7064]  # kept

    with engine.begin() as c:  # the note `credit-note suggest` proposes: every over-billed line difference
        [drift] = invoice_drift(c, APRIL, [pilot["id"]])
        credits = [LineCredit(ln.invoice_line_id, -ln.difference_cents) for ln in drift.lines
                   if ln.difference_cents < 0]
        note = create_credit_note(c, pilot["id"], "droplet pilot-droplet-0 stopped on 21 April", credits, NOW)
    assert (note["subtotal_cents"], note["tax_cents"]) == (240, 24)

    assert drift_check(run_drift(instance)).passed


def test_under_billing_an_issued_invoice_says_it_cannot_be_credited(engine, instance):
    pilot = invoiced_april(engine, instance)["pilot"]
    with engine.begin() as c:
        apply_move(c, pilot["id"], "issue", NOW)
    World(engine).resource("dep-pilot", "pilot-late", at(2026, 4, 20), at(2026, 4, 25))

    with engine.connect() as c:
        [drift] = invoice_drift(c, APRIL)
    assert (drift.status, drift.under_billed_cents, drift.over_billed_cents, drift.difference_cents) == (
        "issued", 120, 0, 132)
    assert drift.action.startswith("under-billed 1.20 AUD: an issued invoice cannot be raised")


def test_run_without_a_partition_it_checks_every_invoiced_month(engine, instance):
    """The UI's "Execute all": every month invoiced so far, each drifted invoice with its month."""
    World(engine).worked_example().tax_rate("AU", "0.1", "GST 10%")
    assert run(instance, partition=None, tags={"dagster/asset_partition_range_start": "2026-03-01",
                                               "dagster/asset_partition_range_end": "2026-04-01"}).success
    # March: 3 droplets from the 15th, 1224 h, inside the 1488 included; 456 h more are 192 h over
    World(engine).resource("dep-pilot", "pilot-march-late", at(2026, 3, 1), at(2026, 3, 20))

    for result in (execute_all_checks(instance), run_drift(instance)):
        check = drift_check(result)
        assert (check.passed, check.metadata["months"].value, check.metadata["drifted_invoices"].value) == (
            False, "2026-03, 2026-04", 1)
        [row] = [ln for ln in check.metadata["worst_first"].value.splitlines() if "| pilot |" in ln]
        assert row.startswith("| 2026-03 |") and "| draft |" in row and "+1.92 |" in row


def test_a_goodwill_note_lowers_the_balance_and_is_not_drift_a_correction_is(engine, instance):
    """A concession (goodwill) corrects nothing: the invoice still matches its data. Late data after
    it is drift as usual, and the correction drift suggests is capped by what the goodwill note left."""
    pilot = invoiced_april(engine, instance)["pilot"]
    with engine.begin() as c:
        apply_move(c, pilot["id"], "issue", NOW)
        goodwill = create_credit_note(c, pilot["id"], "sorry for the outage on 3 April", None, NOW, purpose="goodwill")
    assert (goodwill["purpose"], goodwill["total_cents"]) == ("goodwill", 7064)

    assert drift_check(run_drift(instance)).passed  # balance 0, and nothing differs from the data

    with engine.begin() as c:  # the same full credit as a correction would say the data is worth nothing
        c.execute(sa.update(t.credit_notes).where(t.credit_notes.c.id == goodwill["id"]).values(purpose="correction"))
    with engine.connect() as c:
        [drift] = invoice_drift(c, APRIL)
    assert (drift.invoiced_total_cents, drift.recomputed_total_cents) == (0, 7064)
