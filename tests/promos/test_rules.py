"""The rules of a promo code, as pure functions: the discount, its shares, and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.booking.amounts import AmountDue, amount_due_for
from app.promos.models import PromoCode
from app.promos.rules import PricedLine, allocate, describe, discount_for, refusal

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def code(**fields) -> PromoCode:
    values = {
        "code": "SPRING10",
        "kind": "percent",
        "value": 10,
        "currency": "GBP",
        "funded_by": "platform",
        "venue_id": None,
        "valid_from": None,
        "valid_until": None,
        "min_spend_minor": 0,
        "max_uses_total": None,
        "max_uses_per_customer": None,
        "uses_count": 0,
        "active": True,
    }
    values.update(fields)
    return PromoCode(**values)


def why(c: PromoCode, lines=None, *, uses_by_customer: int = 0, currency: str = "GBP", venue_name=None):
    lines = lines if lines is not None else [PricedLine(1, 6000)]
    return refusal(c, lines, currency=currency, now=NOW, uses_by_customer=uses_by_customer, venue_name=venue_name)


# -- the discount --------------------------------------------------------------------------------


def test_a_percent_discount_rounds_down_to_the_penny():
    assert discount_for(code(value=10), 1999) == 199  # 199.9 -> 199: never more than 10%
    assert discount_for(code(value=15), 6000) == 900
    assert discount_for(code(value=100), 4321) == 4321


def test_a_fixed_discount_never_exceeds_the_items():
    assert discount_for(code(kind="fixed", value=500), 6000) == 500
    assert discount_for(code(kind="fixed", value=9000), 6000) == 6000
    assert discount_for(code(kind="fixed", value=500), 0) == 0


def test_describe_says_what_a_code_gives():
    assert describe(code(value=15)) == "15% off"
    assert describe(code(kind="fixed", value=750)) == "£7.50 off"


# -- shares ----------------------------------------------------------------------------------------


def test_shares_follow_the_prices_by_the_largest_remainder():
    assert allocate(1000, [6000, 4000]) == [600, 400]
    assert allocate(100, [300, 300, 300]) == [34, 33, 33]  # ties go to the earlier line
    assert allocate(10, [3333, 3333, 3334]) == [3, 3, 4]
    assert allocate(0, [100, 200]) == [0, 0]


def test_a_discount_larger_than_the_items_cannot_be_shared():
    with pytest.raises(ValueError, match="cover it"):
        allocate(301, [100, 200])


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=12),
    fraction=st.fractions(min_value=0, max_value=1),
)
def test_shares_add_up_exactly_and_none_exceeds_its_item(amounts, fraction):
    total = sum(amounts)
    discount = int(total * fraction)
    shares = allocate(discount, amounts)
    assert sum(shares) == discount
    assert all(0 <= share <= amount for share, amount in zip(shares, amounts, strict=True))
    # Proportional: each share is within one minor unit of its exact proportion.
    if total:
        assert all(abs(share - discount * amount / total) < 1 for share, amount in zip(shares, amounts, strict=True))


# -- the amount due ----------------------------------------------------------------------------------


def test_the_amount_due_takes_the_discount_off_and_says_so():
    due = amount_due_for([(6000, 1), (4000, 2)], "GBP", promo_discount_minor=1400)
    assert due.items_subtotal_minor == 14000
    assert due.total_minor == due.due_now_minor == 12600
    assert [(line.label, line.minor) for line in due.lines()] == [("Items", 14000), ("Promo code", -1400)]


def test_a_discount_above_the_items_is_refused_by_the_amount_type():
    with pytest.raises(ValueError, match="can't exceed"):
        AmountDue(currency="GBP", items_subtotal_minor=100, promo_discount_minor=101)


# -- refusals, each with its reason --------------------------------------------------------------------


def test_a_valid_code_is_not_refused():
    assert why(code()) is None


def test_a_deactivated_code_is_refused():
    assert why(code(active=False)) == "The code SPRING10 is no longer available."


def test_a_code_before_its_first_day_is_refused():
    assert "isn't valid yet" in why(code(valid_from=NOW + timedelta(days=2)))


def test_a_code_after_its_last_day_is_refused():
    assert "expired on" in why(code(valid_until=NOW - timedelta(seconds=1)))
    assert "expired on" in why(code(valid_until=NOW))  # the end is exclusive
    assert why(code(valid_from=NOW, valid_until=NOW + timedelta(seconds=1))) is None


def test_a_code_in_another_currency_is_refused():
    assert why(code(currency="EUR")) == "The code SPRING10 is for payments in EUR."


def test_a_venue_code_is_refused_without_that_venues_items():
    message = why(code(venue_id=2, funded_by="venue"), [PricedLine(1, 6000)], venue_name="Calm Rooms")
    assert message == "The code SPRING10 is only valid at Calm Rooms, and nothing in your cart is from there."


def test_the_minimum_spend_counts_only_the_items_the_code_discounts():
    venue_code = code(venue_id=2, funded_by="venue", min_spend_minor=5000)
    lines = [PricedLine(1, 9000), PricedLine(2, 3000)]
    assert why(venue_code, lines, venue_name="Calm Rooms") == (
        "The code SPRING10 needs a minimum spend of £50.00 at Calm Rooms; your items come to £30.00."
    )
    assert why(code(min_spend_minor=5000), lines) is None


def test_a_used_up_code_is_refused():
    assert why(code(max_uses_total=3, uses_count=3)) == "The code SPRING10 has been used up."
    assert why(code(max_uses_total=3, uses_count=2)) is None


def test_a_code_the_customer_already_used_is_refused():
    assert why(code(max_uses_per_customer=1), uses_by_customer=1) == "You have already used the code SPRING10."
    assert "2 times" in why(code(max_uses_per_customer=2), uses_by_customer=2)
    assert why(code(max_uses_per_customer=2), uses_by_customer=1) is None


def test_a_code_that_takes_nothing_off_is_refused():
    assert why(code(value=1), [PricedLine(1, 50)]) == "The code SPRING10 takes nothing off these items."
