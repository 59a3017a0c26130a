"""Price versions and amounts beyond the documented bounds (billing/bounds.py) are named bad input,
for the periods and tenants that use them only."""

from datetime import date
from decimal import Decimal
from fractions import Fraction as F

import pytest

from arcadia_pipelines.billing import bounds
from arcadia_pipelines.billing.errors import BillingError
from arcadia_pipelines.billing.periods import Period
from arcadia_pipelines.billing.pricebook import InvalidVersion, Plan, PriceBook, TaxRate
from arcadia_pipelines.billing.quote import quote_subscription

from .test_quote_rules import APRIL, GST, STORAGE, STUDIO, book, sub

MAY = Period.parse("2026-05")


def test_an_invalid_version_fails_only_the_periods_that_select_it():
    v2 = Plan("studio", date(2026, 5, 1), "Studio", 9 * 10**18, "AUD", STUDIO.meters)
    b = book(STUDIO, v2)
    assert quote_subscription(b, APRIL, sub(), {}).lines[0].amount_cents == 5000
    with pytest.raises(BillingError) as e:
        quote_subscription(b, MAY, sub(), {})
    assert (e.value.rule, e.value.tenant_id, e.value.subscription_id) == ("price_out_of_bounds", "t1", "s1")
    assert "plan 'studio' effective 2026-05-01: base_price_cents is 9000000000000000000" in str(e.value)


def test_an_unreadable_version_from_the_warehouse_is_named_when_selected():
    b = PriceBook.build([InvalidVersion("studio", date(2026, 1, 1), "invalid_number",
                                        "base_price_cents is 'abc', not a whole number")], [], [GST])
    with pytest.raises(BillingError) as e:
        quote_subscription(b, APRIL, sub(), {})
    assert str(e.value) == ("tenant t1, subscription s1: invalid_number: plan 'studio' effective 2026-01-01: "
                            "base_price_cents is 'abc', not a whole number")


@pytest.mark.parametrize("rate", [F(-15, 100), F(3, 2)])
def test_a_tax_rate_outside_0_to_1_fails_that_country_only(rate):
    b = book(STUDIO, taxes=[GST, TaxRate("NZ", date(2000, 1, 1), "GST", rate)])
    assert b.tax_rate("AU", APRIL.start) == GST
    with pytest.raises(BillingError) as e:
        b.tax_rate("nz", APRIL.start)
    # the invoice stage adds the tenant it was pricing
    assert (e.value.rule, e.value.tenant_id) == ("invalid_tax_rate", None)
    assert str(e.value.for_tenant("t9")).startswith("tenant t9: invalid_tax_rate: tax_rate 'NZ' effective 2000-01-01")


def test_a_tax_rate_with_more_decimals_than_an_invoice_keeps_is_refused():
    """Invoices store the rate they applied to 12 decimals and checks recompute tax from it."""
    b = book(STUDIO, taxes=[GST, TaxRate("NZ", date(2000, 1, 1), "GST", F(Decimal("0.1500000000001"))),
                            TaxRate("FJ", date(2000, 1, 1), "VAT", F(Decimal("0.150000000001")))])
    assert b.tax_rate("FJ", APRIL.start).rate == F(150000000001, 10**12)  # 12 decimals: fine
    with pytest.raises(BillingError) as e:
        b.tax_rate("NZ", APRIL.start)
    assert e.value.rule == "invalid_tax_rate"
    assert str(e.value.for_tenant("t9")) == ("tenant t9: invalid_tax_rate: tax_rate 'NZ' effective 2000-01-01: rate is "
                                             "0.1500000000001; a tax rate has at most 12 decimal places "
                                             "(billing/bounds.py)")


def test_a_line_above_the_line_bound_is_refused_not_billed():
    with pytest.raises(BillingError) as e:
        quote_subscription(book(STUDIO), APRIL, sub(), {"droplet_hours": F(10**12)})
    assert e.value.rule == "line_amount_out_of_bounds" and "Overage: droplet_hours" in str(e.value)
    at_bound = quote_subscription(book(STUDIO), APRIL, sub(), {"droplet_hours": F(1488 + bounds.MAX_LINE_CENTS)})
    assert at_bound.lines[-1].amount_cents == bounds.MAX_LINE_CENTS


@pytest.mark.parametrize("qty, rule", [("two", "invalid_number"), (1.5, "invalid_number"), (True, "invalid_number"),
                                       (bounds.MAX_ADDON_QUANTITY + 1, "quantity_out_of_bounds")])
def test_addon_quantities_must_be_plausible_whole_numbers(qty, rule):
    with pytest.raises(BillingError) as e:
        quote_subscription(book(STUDIO, addons=[STORAGE]), APRIL, sub(addons=[("storage_50gb", qty)]), {})
    assert (e.value.rule, e.value.subscription_id) == (rule, "s1")


@pytest.mark.parametrize("value", ["abc", 1.5, Decimal("NaN"), Decimal("Infinity"), None])
def test_exact_numbers_refuse_text_floats_and_non_finite_values(value):
    with pytest.raises(BillingError) as e:
        bounds.exact_number(value, "rate", rule="invalid_tax_rate")
    assert e.value.rule == "invalid_tax_rate" and f"rate is {value!r}, not a number" in e.value.message



def test_a_timestamp_the_warehouse_could_not_read_is_named_not_compared():
    """SQLite may hold text its date functions read but Python does not ('2026-04-31'): the
    warehouse hands it over as an unreadable value, and the engine names it."""
    with pytest.raises(BillingError) as e:
        quote_subscription(book(STUDIO), APRIL, sub(ended_at="2026-04-31 10:00:00", status="cancelled"), {})
    assert (e.value.rule, e.value.subscription_id) == ("unreadable_timestamp", "s1")
