"""The contract's quote rules 1-5, each with hand-computed cents."""

from datetime import date
from fractions import Fraction as F

import pytest

from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.invoice import draft_invoice, invoice_totals
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import Addon, Plan, PlanMeter, PriceBook, TaxRate
from arcadia_pipelines.billing.quote import SubscriptionTerms, quote_subscription
from arcadia_pipelines_tests.builders import at

APRIL = Period.parse("2026-04")
GST = TaxRate("AU", date(2000, 7, 1), "GST", F(1, 10))


def book(*plans, addons=(), taxes=(GST,)):
    return PriceBook.build(plans, addons, taxes)


STUDIO = Plan("studio", date(2026, 1, 1), "Studio", 5000, "AUD",
              (PlanMeter("droplet_hours", "droplet", F(1488), F(1)),))
STORAGE = Addon("storage_50gb", date(2026, 1, 1), "Storage 50 GB", 750, "volume")


def sub(started_at=at(2026, 3, 1), ended_at=None, plan="studio", addons=(), status=None, id="s1"):
    return SubscriptionTerms(id, "t1", "d1", plan, status or ("cancelled" if ended_at else "active"),
                             started_at, ended_at, tuple(addons))


def amounts(quote):
    return [(line.kind, line.amount_cents) for line in quote.lines]


def test_worked_example_lines_and_totals():
    q = quote_subscription(book(STUDIO, addons=[STORAGE]), APRIL, sub(addons=[("storage_50gb", 1)]),
                           {"droplet_hours": F(2160)})
    assert amounts(q) == [("plan_base", 5000), ("addon", 750), ("overage", 672)]
    assert q.lines[1].description == "Addon: storage_50gb"
    totals = draft_invoice("t1", [q], GST).totals
    assert (totals.subtotal_cents, totals.tax_cents, totals.total_cents) == (6422, 642, 7064)
    assert totals.tax_line.description == "GST 10%"


@pytest.mark.parametrize("started_at, ended_at, factor", [
    (at(2026, 3, 1), None, F(1)),                           # whole month
    (at(2026, 4, 1), at(2026, 5, 1), F(1)),                 # exactly the month
    (at(2026, 4, 30, 23, 59), None, F(1, 30)),              # started on the last day
    (at(2026, 1, 1), at(2026, 4, 1, 0, 0, 1), F(1, 30)),    # ended on the first
    (at(2026, 4, 10, 12), at(2026, 4, 10, 13), F(1, 30)),   # one hour, one day
    (at(2026, 4, 10, 23), at(2026, 4, 11, 1), F(2, 30)),    # two hours across midnight: two days
])
def test_proration_counts_utc_days_with_any_time(started_at, ended_at, factor):
    q = quote_subscription(book(STUDIO), APRIL, sub(started_at, ended_at), {})
    assert q.proration == factor
    assert q.lines[0].amount_cents == round(5000 * factor)  # no .5 cases in these rows


def test_subscription_outside_the_period_is_not_billed():
    assert quote_subscription(book(STUDIO), APRIL, sub(at(2026, 1, 1), at(2026, 4, 1)), {}) is None
    assert quote_subscription(book(STUDIO), APRIL, sub(at(2026, 5, 1)), {}) is None


def test_31_day_month_one_day_rounds_half_up_once():
    march = Period.parse("2026-03")
    q = quote_subscription(book(STUDIO), march, sub(at(2026, 3, 31, 8)), {})
    assert q.proration == F(1, 31)
    assert q.lines[0].amount_cents == 161  # 5000 / 31 = 161.29


def test_mid_month_plan_change_prorates_both_and_the_change_day_counts_twice():
    starter = Plan("starter", date(2026, 1, 1), "Starter", 1500, "AUD",
                   (PlanMeter("droplet_hours", "droplet", F(744), F(3, 2)),))
    b = book(STUDIO, starter)
    old = quote_subscription(b, APRIL, sub(at(2026, 2, 1), at(2026, 4, 11, 12), plan="starter", id="a"),
                             {"droplet_hours": F(504)})
    new = quote_subscription(b, APRIL, sub(at(2026, 4, 11, 12), plan="studio", id="b"),
                             {"droplet_hours": F(936)})
    assert (old.proration, new.proration) == (F(11, 30), F(20, 30))
    # starter: 1500 * 11/30 = 550; included 744 * 11/30 = 272.8; (504 - 272.8) * 1.5 = 346.8 -> 347
    assert amounts(old) == [("plan_base", 550), ("overage", 347)]
    # studio: 5000 * 2/3 = 3333.33 -> 3333; included 1488 * 2/3 = 992 > 936: no overage line
    assert amounts(new) == [("plan_base", 3333)]
    assert draft_invoice("t1", [old, new], GST).totals.total_cents == 4230 + 423


@pytest.mark.parametrize("usage, overage_cents", [
    (1488 + 1001, 125),   # 1001 * 0.125 = 125.125
    (1488 + 1004, 126),   # 1004 * 0.125 = 125.5 -> half up
    (1488 + 1, 0),        # 0.125 -> 0: a line of zero cents is still shown
    (1488, None),         # usage == included: no overage line
])
def test_fractional_cent_unit_prices_round_half_up_once(usage, overage_cents):
    plan = Plan("micro", date(2026, 1, 1), "Micro", 0, "AUD",
                (PlanMeter("droplet_hours", "droplet", F(1488), F(1, 8)),))
    q = quote_subscription(book(plan), APRIL, sub(plan="micro"), {"droplet_hours": F(usage)})
    overage = [line.amount_cents for line in q.lines if line.kind == "overage"]
    assert overage == ([] if overage_cents is None else [overage_cents])


def test_overage_is_measured_against_the_prorated_allowance():
    q = quote_subscription(book(STUDIO), APRIL, sub(at(2026, 4, 16)), {"droplet_hours": F(800)})
    # 15/30 of the month: included 744, so 56 hours over at 1 cent
    assert amounts(q) == [("plan_base", 2500), ("overage", 56)]
    assert q.lines[1].quantity == 56


def test_addon_quantity_and_proration_multiply_the_price():
    q = quote_subscription(book(STUDIO, addons=[STORAGE]), APRIL,
                           sub(at(2026, 4, 21), addons=[("storage_50gb", 3)]), {})
    # 10/30 days * 3 * 750 = 750
    assert amounts(q) == [("plan_base", 1667), ("addon", 750)]


def test_tax_rounds_half_up_not_half_even():
    # 6425 * 0.10 = 642.5: half-even would give 642
    totals = invoice_totals("AUD", 6425, GST)
    assert (totals.tax_cents, totals.total_cents) == (643, 7068)
    assert invoice_totals("AUD", 6435, GST).tax_cents == 644  # 643.5 -> 644 (half-even agrees)


def test_country_without_a_rate_gets_no_tax_line():
    q = quote_subscription(book(STUDIO), APRIL, sub(), {})
    b = book(STUDIO)
    draft = draft_invoice("t1", [q], b.tax_rate("NZ", APRIL.start))
    assert draft.totals.tax_line is None
    assert (draft.totals.tax_cents, draft.totals.total_cents) == (0, 5000)


def test_a_price_version_that_starts_after_the_period_is_not_used():
    v2 = Plan("studio", date(2026, 5, 1), "Studio", 6000, "AUD", STUDIO.meters)
    b = book(STUDIO, v2)
    assert amounts(quote_subscription(b, APRIL, sub(), {})) == [("plan_base", 5000)]
    assert amounts(quote_subscription(b, Period.parse("2026-05"), sub(), {})) == [("plan_base", 6000)]
    only_later = book(v2)
    with pytest.raises(BillingError) as e:
        quote_subscription(only_later, APRIL, sub(), {})
    assert e.value.rule == "unknown_plan_version"
    assert "2026-05-01" in str(e.value) and "t1" in str(e.value) and "s1" in str(e.value)


def test_tax_rate_versions_follow_the_period():
    b = book(STUDIO, taxes=[GST, TaxRate("AU", date(2026, 5, 1), "GST", F(3, 20))])
    assert b.tax_rate("AU", APRIL.start).rate == F(1, 10)
    assert b.tax_rate("au", date(2026, 5, 1)).description == "GST 15%"


@pytest.mark.parametrize("terms, usage, rule", [
    (sub(status="cancelled"), {}, "cancelled_without_ended_at"),
    (sub(status="paused"), {}, "unknown_subscription_status"),
    (sub(at(2026, 4, 20), at(2026, 4, 10)), {}, "ended_before_started"),
    (sub(addons=[("storage_50gb", -1)]), {}, "negative_addon_quantity"),
    (sub(addons=[("storage_1tb", 1)]), {}, "unknown_addon_version"),
    (sub(plan="enterprise"), {}, "unknown_plan_version"),
    (sub(), {"droplet_hours": F(-5)}, "negative_usage"),
    (sub(), {"gpu_hours": F(5)}, "unknown_meter"),
])
def test_bad_input_is_named_by_tenant_subscription_and_rule(terms, usage, rule):
    with pytest.raises(BillingError) as e:
        quote_subscription(book(STUDIO, addons=[STORAGE]), APRIL, terms, usage)
    assert (e.value.rule, e.value.tenant_id, e.value.subscription_id) == (rule, "t1", "s1")
    assert str(e.value).startswith("tenant t1, subscription s1: " + rule)


def test_mixed_currencies_for_one_tenant_is_bad_input():
    usd = Plan("studio_us", date(2026, 1, 1), "Studio US", 4000, "USD", ())
    b = book(STUDIO, usd)
    quotes = [quote_subscription(b, APRIL, sub(id="a"), {}),
              quote_subscription(b, APRIL, sub(plan="studio_us", id="b"), {})]
    with pytest.raises(BillingError) as e:
        draft_invoice("t1", quotes, GST)
    assert e.value.rule == "mixed_currencies" and "AUD, USD" in str(e.value)


def test_a_meter_priced_as_another_resource_kind_is_bad_input():
    wrong = Plan("studio", date(2026, 1, 1), "Studio", 5000, "AUD",
                 (PlanMeter("droplet_hours", "volume", F(0), F(1)),))
    with pytest.raises(BillingError) as e:
        quote_subscription(book(wrong), APRIL, sub(), {"droplet_hours": F(10)})
    assert e.value.rule == "meter_kind_mismatch" and "'droplet'" in str(e.value)


def test_a_negative_price_in_the_book_is_bad_input():
    cheap = Plan("studio", date(2026, 1, 1), "Studio", -1, "AUD", ())
    with pytest.raises(BillingError) as e:
        quote_subscription(book(cheap), APRIL, sub(), {})
    assert e.value.rule == "negative_price"
