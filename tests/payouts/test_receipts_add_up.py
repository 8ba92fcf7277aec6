"""Every figure adds up (issue 12, item 7): one property over random carts.

Money is integers in minor units with the currency beside them. A random cart has bookings at
up to three venues, each paid in full, by a deposit (percent or fixed) or at the venue; a promo
code (percent or fixed, funded by the platform or by one venue); a gift voucher; a fee charged
later to a saved card; and refunds in random parts. It goes through the very functions
production uses: ``online_part`` (app/venues/deposits.py), the promo's ``discount_for``,
``online_discount`` and ``allocate`` (app/promos/), ``amount_due_for_bookings`` (what
``amount_due(order)`` sums), ``split_shares`` (what ``venue_shares(order)`` and
``fee_shares`` split), ``allocate_refund`` and ``reversal_for`` (app/payouts/transfers.py).

The identity, stated precisely. Let C be the amount charged to the card at checkout (the
receipt's "due now"), T and K the venues' transfers and the platform's commission, P a
platform-funded promo discount, V the gift voucher's part, R the refunds and Rev
the parts of the venues' transfers taken back for them. Then

    sum(T - Rev) + (K - P - V - (R - sum(Rev))) + R = C

where T is both legs of each venue's transfer (``funding_legs``: the charge leg, at most the
venue's part of C, and the balance leg, paid from the voucher money) and R the refunds to the
card and back on the voucher (a refund to the voucher hands the voucher money back to it);

- the platform's net commission (the middle term) is its commission less what it pays for: a
  platform-funded promo (P) comes out of the platform's commission, never a venue's transfer
  (a venue-funded promo lowers that venue's gross instead, so it is already inside T and K);
  the voucher's part (V) was paid to the platform when the voucher was sold, and is paid on to
  the venues from that money; the part of a refund not taken back from a venue is the
  platform's;
- the part due at the venue enters nowhere: it is never charged (not in C), never transferred
  and never carries commission. It appears only on the receipt, where
  items - promo - voucher - due at the venue = C, and it equals the items' price less their
  online parts (a promo or a voucher never reduces it);
- a fee charged later to the saved card is its own charge F: its transfer + commission = F;
- and, with everything refunded (to the card and to the voucher), every leg of every venue's
  transfer is taken back in full and the platform keeps exactly nothing:
  K - P - V - (R - sum(Rev)) = -V (the voucher has its V back, which the platform holds for
  it again, as before the order); except that a venue whose whole part a platform-funded promo
  paid keeps its transfer, which the platform paid for: then the platform's net is minus those
  transfers.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.booking.amounts import PricedBooking, amount_due_for_bookings
from app.payouts.shares import VenueLine, funding_legs, reversal_for, split_shares
from app.payouts.transfers import allocate_refund
from app.promos.rules import allocate
from app.venues.deposits import PaymentMode, online_part, split_fee

VENUES = (1, 2, 3)


@st.composite
def bookings(draw):
    price = draw(st.integers(0, 30_000))
    mode = draw(st.sampled_from(list(PaymentMode)))
    percent = draw(st.integers(1, 99)) if mode == PaymentMode.DEPOSIT_PERCENT else None
    fixed = draw(st.integers(1, max(price - 1, 1))) if mode == PaymentMode.DEPOSIT_FIXED else None
    if mode == PaymentMode.DEPOSIT_FIXED and price < 2:
        mode, fixed = PaymentMode.FULL, None
    quantity = draw(st.integers(1, 3))
    online = online_part(price, mode, deposit_percent=percent, deposit_fixed_minor=fixed) * quantity
    return {
        "venue": draw(st.sampled_from(VENUES)),
        "price": price * quantity,
        "online": online,
        "deposit": mode in (PaymentMode.DEPOSIT_PERCENT, PaymentMode.DEPOSIT_FIXED),
    }


promos = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["percent", "fixed"]),
            "value": st.integers(1, 100),
            "fixed": st.integers(1, 20_000),
            "funded_by": st.sampled_from(["platform", *VENUES]),
        }
    ),
)


@settings(max_examples=400, deadline=None)
@given(
    cart=st.lists(bookings(), min_size=1, max_size=6),
    rates=st.fixed_dictionaries({v: st.integers(0, 10_000) for v in VENUES}),
    promo=promos,
    voucher_balance=st.integers(0, 50_000),
    refund_parts=st.lists(st.integers(0, 10_000), min_size=1, max_size=4),
    refund_all=st.booleans(),
    fee=st.tuples(st.sampled_from(VENUES), st.integers(0, 100), st.integers(0, 5_000)),
)
def test_transfers_commission_and_refunds_add_up_to_what_was_charged(
    cart, rates, promo, voucher_balance, refund_parts, refund_all, fee
):
    # -- the promo: only the online parts are discounted (app/promos/redemption.py) --
    discounts = [0] * len(cart)
    platform_discount = 0
    venue_discounts: dict[int, int] = {}
    if promo is not None:
        venue = promo["funded_by"]
        eligible = [i for i, b in enumerate(cart) if venue == "platform" or b["venue"] == venue]
        subtotal = sum(cart[i]["price"] for i in eligible)
        wanted = subtotal * promo["value"] // 100 if promo["kind"] == "percent" else min(promo["fixed"], subtotal)
        discount = min(wanted, sum(cart[i]["online"] for i in eligible))  # online_discount
        for i, share in zip(eligible, allocate(discount, [cart[i]["online"] for i in eligible]), strict=True):
            discounts[i] = share
        if venue == "platform":
            platform_discount = discount
        elif discount:
            venue_discounts[venue] = discount
    promo_total = sum(discounts)

    # -- the voucher pays what it can of what is paid online (app/vouchers/ledger.eligible_minor) --
    voucher = min(voucher_balance, sum(b["online"] - d for b, d in zip(cart, discounts, strict=True)))

    # -- the receipt (amount_due) --
    due = amount_due_for_bookings(
        [PricedBooking(b["price"], b["online"], b["deposit"], d) for b, d in zip(cart, discounts, strict=True)],
        "GBP",
        promo_discount_minor=promo_total,
        voucher_applied_minor=voucher,
    )
    charged = due.due_now_minor
    assert sum(line.minor for line in due.lines()) == charged
    assert due.items_subtotal_minor - promo_total - voucher - due.due_at_venue_minor == charged
    assert due.due_at_venue_minor == sum(b["price"] - b["online"] for b in cart)  # never discounted
    assert 0 <= due.deposit_due_now_minor <= charged

    # -- the split (venue_shares): commission on what the platform collects --
    shares = split_shares(
        [VenueLine(b["venue"], b["online"], rates[b["venue"]]) for b in cart],
        "GBP",
        venue_discounts=venue_discounts,
        platform_discount_minor=platform_discount,
        voucher_minor=voucher,
    )
    transfers = sum(s.transfer_minor for s in shares)
    commission = sum(s.commission_minor for s in shares)
    assert sum(s.charged_minor for s in shares) == charged
    assert transfers + commission - platform_discount - voucher == charged

    # -- the legs (funding_legs): the charge funds at most each venue's card part, the platform
    # balance (the voucher money, and what the card part can't cover) the rest --
    legs = {s.venue_id: funding_legs(s) for s in shares}
    by_venue = {s.venue_id: s for s in shares}
    charge_legs = sum(leg.transfer_minor for its in legs.values() for leg in its if leg.funding == "charge")
    balance_legs = sum(leg.transfer_minor for its in legs.values() for leg in its if leg.funding == "balance")
    assert charge_legs <= charged  # Stripe refuses transfers beyond the charge they name
    assert charge_legs + balance_legs + commission - platform_discount - voucher == charged
    assert sum(s.voucher_minor for s in shares) == voucher
    for venue, its in legs.items():
        share = by_venue[venue]
        assert [leg.funding for leg in its] in (["charge"], ["charge", "balance"])
        assert sum(leg.transfer_minor for leg in its) == share.transfer_minor
        assert sum(leg.commission_minor for leg in its) == share.commission_minor
        assert sum(leg.gross_minor for leg in its) == share.gross_minor
        assert its[0].transfer_minor <= share.charged_minor == its[0].charged_minor
        assert all(leg.transfer_minor == leg.gross_minor - leg.commission_minor >= 0 for leg in its)
        assert all(leg.commission_minor >= 0 for leg in its)

    # -- refunds in parts, to the card first and the rest back on the voucher (refund_order);
    # each kind split between venues by what each has left of that kind (allocate_refund), and
    # every leg of a venue reversed in proportion to all it had refunded (schedule_reversals,
    # schedule_voucher_reversals) --
    card_left = {s.venue_id: s.charged_minor for s in shares}
    voucher_left = {s.venue_id: s.voucher_minor for s in shares}
    refunded = dict.fromkeys(card_left, 0)
    reversed_ = dict.fromkeys(card_left, 0)
    reversed_legs = {(v, i): 0 for v, its in legs.items() for i in range(len(its))}

    def refund(amount: int, left: dict[int, int]) -> None:
        for venue, piece in allocate_refund(amount, left).items():
            if piece == 0:
                continue
            share = by_venue[venue]
            for i, leg in enumerate(legs[venue]):
                taken = reversal_for(
                    transfer_minor=leg.transfer_minor,
                    charged_minor=share.charged_minor + share.voucher_minor,
                    refunded_before=refunded[venue],
                    refund_minor=piece,
                )
                reversed_legs[venue, i] += taken
                reversed_[venue] += taken
            refunded[venue] += piece
            left[venue] -= piece

    parts = list(refund_parts)
    if refund_all:
        parts.append(charged + voucher)
    for part in parts:
        to_card = min(part, sum(card_left.values()))
        if to_card > 0:
            refund(to_card, card_left)
        to_voucher = min(part - to_card, sum(voucher_left.values()))
        if to_voucher > 0:
            refund(to_voucher, voucher_left)
    refunds = sum(refunded.values())
    reversals = sum(reversed_.values())
    assert refunds <= charged + voucher
    assert all(0 <= reversed_legs[v, i] <= leg.transfer_minor for v, its in legs.items() for i, leg in enumerate(its))

    venues_keep = transfers - reversals
    platform_keeps = commission - platform_discount - voucher - (refunds - reversals)
    assert venues_keep + platform_keeps + refunds == charged

    if refund_all:  # everything went back (card and voucher): nobody keeps anything of this order
        assert refunds == charged + voucher
        paid = {v for v, s in by_venue.items() if s.charged_minor + s.voucher_minor}
        assert all(reversed_legs[v, i] == leg.transfer_minor for v in paid for i, leg in enumerate(legs[v]))
        # The voucher has its money back (V more than the platform took for this order: it holds
        # it for the voucher again, as before the order); a venue the platform-funded promo paid
        # for entirely keeps its transfer, paid by the platform.
        assert platform_keeps + voucher == -sum(by_venue[v].transfer_minor for v in by_venue if v not in paid)

    # -- a fee charged later to the saved card: its own charge, split like any other --
    venue, percent, paid_online = fee
    split = split_fee(price_minor=10_000, promo_minor=0, paid_online_minor=paid_online, percent=percent)
    assert split.from_paid_minor + split.charge_minor == split.fee_minor
    if split.charge_minor:
        [fee_share] = split_shares([VenueLine(venue, split.charge_minor, rates[venue])], "GBP")
        assert fee_share.transfer_minor + fee_share.commission_minor == split.charge_minor == fee_share.charged_minor
