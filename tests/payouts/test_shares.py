"""Each venue's share of a charge and of its refunds: exact integers that always add up."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.payouts.shares import (
    VenueLine,
    bp_label,
    commission_of,
    funding_legs,
    largest_remainder,
    percent_to_bp,
    reversal_for,
    split_shares,
)
from app.payouts.transfers import allocate_refund


def test_commission_rounds_down_to_the_penny():
    assert commission_of(999, 1500) == 149  # 149.85 -> 149: the venue keeps the fraction
    assert commission_of(1000, 1500) == 150
    assert commission_of(1, 1500) == 0


def test_two_venues_one_charge_each_gets_its_share():
    lines = [VenueLine(1, 6000, 1500, 11), VenueLine(2, 4550, 1000, 12), VenueLine(1, 999, 1500, 13)]
    shares = split_shares(lines, "GBP")
    first, second = shares
    assert (first.venue_id, first.gross_minor, first.commission_minor, first.transfer_minor) == (1, 6999, 1049, 5950)
    assert (second.venue_id, second.gross_minor, second.commission_minor, second.transfer_minor) == (2, 4550, 455, 4095)
    assert first.charged_minor == 6999 and second.charged_minor == 4550
    assert [line.booking_id for line in first.lines] == [11, 13]
    assert all(s.currency == "GBP" for s in shares)


def test_a_platform_funded_discount_and_a_voucher_leave_the_venue_share_alone():
    lines = [VenueLine(1, 6000, 1500), VenueLine(2, 4000, 1500)]
    plain = split_shares(lines, "GBP")
    funded = split_shares(lines, "GBP", platform_discount_minor=1000, voucher_minor=500)
    assert [s.transfer_minor for s in funded] == [s.transfer_minor for s in plain]
    assert [s.commission_minor for s in funded] == [s.commission_minor for s in plain]
    assert [s.charged_minor for s in funded] == [6000 - 900, 4000 - 600]  # split by gross


def test_a_venue_funded_discount_lowers_that_venue_only():
    lines = [VenueLine(1, 6000, 1500), VenueLine(2, 4000, 1500)]
    shares = split_shares(lines, "GBP", venue_discounts={1: 1000})
    assert shares[0].gross_minor == 5000 and shares[0].commission_minor == 750 and shares[0].transfer_minor == 4250
    assert shares[1].gross_minor == 4000 and shares[1].transfer_minor == 3400


@pytest.mark.parametrize(
    "kwargs",
    [
        {"venue_discounts": {1: 7000}},
        {"venue_discounts": {3: 10}},
        {"platform_discount_minor": -1},
        {"voucher_minor": 6001},
    ],
)
def test_impossible_discounts_are_refused(kwargs):
    with pytest.raises(ValueError, match=r"can't|belongs"):
        split_shares([VenueLine(1, 6000, 1500)], "GBP", **kwargs)


def test_percentages_become_basis_points():
    assert percent_to_bp("15") == 1500
    assert percent_to_bp("12.5") == 1250
    assert percent_to_bp("0") == 0
    assert bp_label(1250) == "12.5%" and bp_label(1500) == "15%"
    for bad in ("-1", "100.01", "abc", ""):
        with pytest.raises(ValueError, match="percentage between 0 and 100"):
            percent_to_bp(bad)


def test_a_full_refund_reverses_the_whole_transfer():
    assert reversal_for(transfer_minor=5100, charged_minor=6000, refunded_before=0, refund_minor=6000) == 5100
    halves = [
        reversal_for(transfer_minor=5101, charged_minor=6001, refunded_before=0, refund_minor=3000),
        reversal_for(transfer_minor=5101, charged_minor=6001, refunded_before=3000, refund_minor=3001),
    ]
    assert sum(halves) == 5101


def test_a_refund_goes_to_the_cancelled_bookings_venue_first():
    assert allocate_refund(3000, {1: 6000, 2: 4000}, first=2) == {1: 0, 2: 3000}
    assert allocate_refund(5000, {1: 6000, 2: 4000}, first=2) == {1: 1000, 2: 4000}
    assert allocate_refund(5000, {1: 6000, 2: 4000}) == {1: 3000, 2: 2000}
    with pytest.raises(ValueError, match="can't exceed"):
        allocate_refund(10001, {1: 6000, 2: 4000})


# -- properties ----------------------------------------------------------------------------------

line_st = st.builds(
    VenueLine,
    venue_id=st.integers(1, 4),
    gross_minor=st.integers(0, 500_000),
    rate_bp=st.sampled_from([0, 1, 999, 1250, 1500, 3333, 10_000]),
)


def _uniform_rates(lines: list[VenueLine]) -> list[VenueLine]:
    """A venue has one rate (its category's): the first line's."""
    rates: dict[int, int] = {}
    return [VenueLine(x.venue_id, x.gross_minor, rates.setdefault(x.venue_id, x.rate_bp)) for x in lines]


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(line_st, min_size=1, max_size=8), data=st.data())
def test_transfers_plus_commission_add_up_to_the_charge(lines, data):
    lines = _uniform_rates(lines)
    total = sum(x.gross_minor for x in lines)
    platform = data.draw(st.integers(0, total))
    voucher = data.draw(st.integers(0, total - platform))
    shares = split_shares(lines, "GBP", platform_discount_minor=platform, voucher_minor=voucher)
    charged = total - platform - voucher
    assert sum(s.transfer_minor + s.commission_minor for s in shares) == total
    assert (
        sum(s.transfer_minor for s in shares) + sum(s.commission_minor for s in shares) - platform - voucher == charged
    )
    assert sum(s.charged_minor for s in shares) == charged
    for s in shares:
        assert 0 <= s.commission_minor <= s.gross_minor
        assert s.transfer_minor == s.gross_minor - s.commission_minor
        assert s.commission_minor == sum(line.commission_minor for line in s.lines)
        assert 0 <= s.charged_minor <= s.gross_minor


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(line_st, min_size=1, max_size=6), data=st.data())
def test_after_random_refunds_reversals_and_returned_commission_add_up_to_the_refunds(lines, data):
    shares = split_shares(_uniform_rates(lines), "GBP")
    remaining = {s.venue_id: s.charged_minor for s in shares}
    refunded = dict.fromkeys(remaining, 0)
    reversed_ = dict.fromkeys(remaining, 0)
    by_venue = {s.venue_id: s for s in shares}
    refunds_total = 0
    for _ in range(data.draw(st.integers(0, 6))):
        left = sum(remaining.values())
        if left == 0:
            break
        amount = data.draw(st.integers(1, left))
        first = data.draw(st.sampled_from(sorted(remaining)))
        parts = allocate_refund(amount, remaining, first)
        assert sum(parts.values()) == amount
        for venue, part in parts.items():
            assert 0 <= part <= remaining[venue]
            reversal = reversal_for(
                transfer_minor=by_venue[venue].transfer_minor,
                charged_minor=by_venue[venue].charged_minor,
                refunded_before=refunded[venue],
                refund_minor=part,
            )
            assert 0 <= reversal <= part
            refunded[venue] += part
            reversed_[venue] += reversal
            remaining[venue] -= part
        refunds_total += amount
    for venue, share in by_venue.items():
        assert reversed_[venue] <= share.transfer_minor
        returned_commission = refunded[venue] - reversed_[venue]
        assert 0 <= returned_commission <= share.commission_minor
        if refunded[venue] == share.charged_minor:  # refunded in full: the whole transfer came back
            assert reversed_[venue] == share.transfer_minor
    assert sum(reversed_.values()) + sum(refunded[v] - reversed_[v] for v in refunded) == refunds_total


@settings(max_examples=200, deadline=None)
@given(total=st.integers(0, 10**7), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_largest_remainder_parts_add_up(total, weights):
    keyed = dict(enumerate(weights))
    parts = largest_remainder(total, keyed)
    if sum(weights) == 0:
        assert set(parts.values()) == {0}
    else:
        assert sum(parts.values()) == total
        assert all(parts[k] == 0 for k, w in keyed.items() if w == 0)


# -- legs: what the charge funds and what the platform balance funds ------------------------------


def test_a_voucher_part_of_the_order_is_a_balance_leg_in_proportion():
    (share,) = split_shares([VenueLine(1, 6000, 1500)], "GBP", voucher_minor=2000)
    charge, balance = funding_legs(share)
    assert (charge.funding, charge.gross_minor, charge.commission_minor, charge.transfer_minor) == (
        "charge",
        4000,
        600,
        3400,
    )
    assert charge.charged_minor == 4000
    assert (balance.funding, balance.gross_minor, balance.commission_minor, balance.transfer_minor) == (
        "balance",
        2000,
        300,
        1700,
    )
    assert balance.charged_minor == 2000  # what refunds back on the voucher are measured against


def test_without_a_voucher_one_charge_leg_is_the_whole_share():
    (share,) = split_shares([VenueLine(1, 6000, 1500)], "GBP", platform_discount_minor=500)
    (leg,) = funding_legs(share)
    assert (leg.funding, leg.gross_minor, leg.commission_minor, leg.transfer_minor, leg.charged_minor) == (
        "charge",
        6000,
        900,
        5100,
        5500,
    )


def test_a_voucher_paying_everything_leaves_an_empty_charge_leg():
    (share,) = split_shares([VenueLine(1, 6000, 1500)], "GBP", voucher_minor=6000)
    charge, balance = funding_legs(share)
    assert (charge.transfer_minor, charge.gross_minor, charge.charged_minor) == (0, 0, 0)
    assert (balance.transfer_minor, balance.commission_minor, balance.charged_minor) == (5100, 900, 6000)


def test_a_platform_discount_the_card_part_cant_cover_goes_to_the_balance_leg():
    # 90% off, paid by the platform: the card pays 600, the venue is owed 5100.
    (share,) = split_shares([VenueLine(1, 6000, 1500)], "GBP", platform_discount_minor=5400)
    charge, balance = funding_legs(share)
    assert (charge.transfer_minor, balance.transfer_minor) == (600, 4500)
    assert balance.charged_minor == 0  # no voucher: its refunds are all on the card


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(line_st, min_size=1, max_size=8), data=st.data())
def test_legs_add_up_and_the_charge_legs_never_exceed_the_charge(lines, data):
    lines = _uniform_rates(lines)
    total = sum(x.gross_minor for x in lines)
    platform = data.draw(st.integers(0, total))
    voucher = data.draw(st.integers(0, total - platform))
    shares = split_shares(lines, "GBP", platform_discount_minor=platform, voucher_minor=voucher)
    charged = total - platform - voucher
    legs = [leg for s in shares for leg in funding_legs(s)]
    assert sum(leg.transfer_minor for leg in legs if leg.funding == "charge") <= charged
    assert sum(leg.transfer_minor + leg.commission_minor for leg in legs) - platform - voucher == charged
    assert sum(s.voucher_minor for s in shares) == voucher
    for s in shares:
        its = funding_legs(s)
        assert 0 <= s.voucher_minor <= s.gross_minor - s.charged_minor
        assert its[0].funding == "charge" and its[0].transfer_minor <= s.charged_minor == its[0].charged_minor
        assert sum(leg.transfer_minor for leg in its) == s.transfer_minor
        assert sum(leg.commission_minor for leg in its) == s.commission_minor
        assert sum(leg.gross_minor for leg in its) == s.gross_minor
        for leg in its:  # the database's checks hold on each row
            assert leg.transfer_minor == leg.gross_minor - leg.commission_minor
            assert min(leg.gross_minor, leg.commission_minor, leg.transfer_minor, leg.charged_minor) >= 0
        if len(its) == 2:
            assert its[1].funding == "balance" and its[1].charged_minor == s.voucher_minor


@settings(max_examples=300, deadline=None)
@given(
    line=line_st,
    data=st.data(),
)
def test_refunds_of_both_kinds_take_back_both_legs_in_proportion(line, data):
    voucher = data.draw(st.integers(0, line.gross_minor))
    (share,) = split_shares([line], "GBP", voucher_minor=voucher)
    legs = funding_legs(share)
    base = share.charged_minor + share.voucher_minor
    left = {"card": share.charged_minor, "voucher": share.voucher_minor}
    refunded, taken = 0, [0] * len(legs)
    kinds = [*data.draw(st.lists(st.sampled_from(["card", "voucher"]), max_size=6)), "card", "voucher"]
    for i, kind in enumerate(kinds):
        last = i >= len(kinds) - 2
        if left[kind] == 0:
            continue
        part = left[kind] if last else data.draw(st.integers(1, left[kind]))
        for n, leg in enumerate(legs):
            taken[n] += reversal_for(
                transfer_minor=leg.transfer_minor, charged_minor=base, refunded_before=refunded, refund_minor=part
            )
        refunded += part
        left[kind] -= part
        assert all(0 <= taken[n] <= leg.transfer_minor for n, leg in enumerate(legs))
        assert sum(taken) <= refunded  # the rest is commission given back
    assert refunded == base
    assert taken == [leg.transfer_minor for leg in legs]  # everything refunded: every leg reversed
