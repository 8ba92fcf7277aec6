"""Each venue's share of an order, and of a refund, in integer minor units.

``split_shares`` is the one place that divides a charge between venues and the platform
(``venue_shares(order)`` feeds it an order's bookings). For each venue:

    gross      = its items - a discount the venue funds
    commission = the sum, over its lines, of floor(line gross x rate)   (rounds DOWN: the
                 venue never pays a fraction of a penny more than the rate says)
    transfer   = gross - commission                                      (exactly)
    charged    = gross - its part of a platform-funded discount and of a gift voucher
                 (split by gross, largest remainder: the parts add up to the whole)

A line's gross is what the platform collects for it: a booking's online part (its price, a
deposit, or nothing when it is paid at the venue). What is paid at the venue never reaches
the platform and carries no commission (docs/deposits.md). A fee charged later to a saved card
is split the same way (``fee_shares``). A tip is the venue's whole, with no commission (``tip_shares``).

A platform-funded discount and a gift voucher are paid for by the platform: they lower what
the customer is charged, never the venue's gross or transfer. So, over an order,

    sum(transfer) + sum(commission) - platform discount - voucher = amount charged

``funding_legs`` splits a venue's share of a checkout by what funds it: the card charge (at
most the venue's ``charged``) and the platform balance (the voucher's part, and whatever the
card part can't cover): see its docstring and docs/payments.md.

``top_up_shares`` splits a top-up (a customer's move to a dearer time: one booking, one venue)
the same way: one line, the whole difference, at the venue's rate; no discount or voucher.

``reversal_for`` splits a refund the same way, cumulatively: after refunds totalling R of a
venue's charged C, the venue has had floor(transfer x R / C) taken back, so once everything
is refunded the whole transfer is reversed and reversals + the commission returned = refunds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.booking.models import Order, OrderChannel
from app.memberships.service import period_of_order
from app.packages.service import get_holding_of_order
from app.payouts.models import CommissionRate
from app.platform.extensions import db
from app.promos.models import FundedBy
from app.promos.redemption import promo_allocation, promo_funded_by
from app.tips.service import get_tip_of_order
from app.venues.models import Venue

FULL_BP = 10_000  # basis points in 100%


@dataclass(frozen=True)
class VenueLine:
    """One booking (or any priced line) at a venue."""

    venue_id: int
    gross_minor: int
    rate_bp: int
    booking_id: int | None = None


@dataclass(frozen=True)
class LineShare:
    venue_id: int
    booking_id: int | None
    gross_minor: int
    commission_minor: int


@dataclass(frozen=True)
class VenueShare:
    venue_id: int
    currency: str
    gross_minor: int
    commission_minor: int
    transfer_minor: int
    charged_minor: int
    rate_bp: int
    lines: tuple[LineShare, ...] = ()
    voucher_minor: int = 0  # its part of the gift voucher (within gross - charged)


@dataclass(frozen=True)
class Leg:
    """A part of a venue's share, by what funds it: ``charge`` (the card charge, as its
    ``source_transaction``) or ``balance`` (the platform balance: the gift-voucher money the
    platform took earlier, and any platform-funded discount the card part can't cover).

    ``gross``: the part of the venue's gross the leg pays for; ``transfer = gross - commission``;
    ``charged``: what refunds of the leg's kind are measured against (the venue's card part, or
    its voucher part)."""

    funding: str  # "charge" | "balance" (app/payouts/models.py Funding)
    gross_minor: int
    commission_minor: int
    transfer_minor: int
    charged_minor: int


def whole_leg(share: VenueShare) -> Leg:
    """A share in one charge leg (a top-up, a fee: no voucher ever pays them)."""
    return Leg("charge", share.gross_minor, share.commission_minor, share.transfer_minor, share.charged_minor)


def funding_legs(share: VenueShare) -> list[Leg]:
    """The venue's share of a checkout in legs: a charge leg (always; possibly of 0) and, when
    part of its transfer isn't the card's to fund, a balance leg.

    The transfer is split in proportion to the card part and the voucher part (rounding the
    balance leg down), and the charge leg never carries more than the venue's card part
    (``charged``): what doesn't fit goes to the balance leg. So the charge legs of an order add
    up to at most its charge, both legs add up to the venue's transfer, and (the split being
    in proportion) a refund of either kind takes back about the same part of each leg."""
    card, voucher, transfer = share.charged_minor, share.voucher_minor, share.transfer_minor
    if voucher == 0 and transfer <= card:
        return [whole_leg(share)]
    balance = transfer * voucher // (card + voucher) if card + voucher else transfer
    charge = min(transfer - balance, card)
    balance = transfer - charge
    rest = share.gross_minor - card  # the voucher part and a platform-funded discount's
    return [
        Leg("charge", card, card - charge, charge, card),
        Leg("balance", rest, rest - balance, balance, voucher),
    ]


def commission_of(gross_minor: int, rate_bp: int) -> int:
    """The commission on one line: rounded down to the minor unit."""
    if gross_minor < 0 or not 0 <= rate_bp <= FULL_BP:
        raise ValueError("A line's gross is not negative and a rate is 0-100%.")
    return gross_minor * rate_bp // FULL_BP


def largest_remainder(total: int, weights: Mapping[int, int]) -> dict[int, int]:
    """``total`` split in proportion to ``weights`` (keys in order), parts adding up to it."""
    weight_sum = sum(weights.values())
    if total == 0 or weight_sum == 0:
        return dict.fromkeys(weights, 0)
    floors = {key: total * w // weight_sum for key, w in weights.items()}
    left = total - sum(floors.values())
    by_remainder = sorted(weights, key=lambda k: (-(total * weights[k] % weight_sum), list(weights).index(k)))
    for key in by_remainder[:left]:
        floors[key] += 1
    return floors


def split_shares(
    lines: Iterable[VenueLine],
    currency: str,
    *,
    venue_discounts: Mapping[int, int] | None = None,
    platform_discount_minor: int = 0,
    voucher_minor: int = 0,
) -> list[VenueShare]:
    """Every venue's share, in the order venues first appear in ``lines``.

    ``venue_discounts``: a discount each venue funds (it lowers that venue's gross; it is taken
    off its lines by largest remainder, so each line's commission is on what was really sold).
    ``platform_discount_minor`` and ``voucher_minor``: paid by the platform, they lower only
    what is charged."""
    lines = list(lines)
    venue_discounts = dict(venue_discounts or {})
    by_venue: dict[int, list[VenueLine]] = {}
    for line in lines:
        if line.gross_minor < 0:
            raise ValueError("A line's gross can't be negative.")
        by_venue.setdefault(line.venue_id, []).append(line)
    if any(v not in by_venue or d < 0 for v, d in venue_discounts.items()):
        raise ValueError("A venue-funded discount belongs to a venue in the order and is not negative.")

    venue_lines: dict[int, list[LineShare]] = {}
    for venue_id, its_lines in by_venue.items():
        items = sum(line.gross_minor for line in its_lines)
        discount = venue_discounts.get(venue_id, 0)
        if discount > items:
            raise ValueError("A venue can't fund more discount than its items cost.")
        off = largest_remainder(discount, {i: line.gross_minor for i, line in enumerate(its_lines)})
        venue_lines[venue_id] = [
            LineShare(
                venue_id=venue_id,
                booking_id=line.booking_id,
                gross_minor=line.gross_minor - off[i],
                commission_minor=commission_of(line.gross_minor - off[i], line.rate_bp),
            )
            for i, line in enumerate(its_lines)
        ]

    gross = {v: sum(s.gross_minor for s in shares) for v, shares in venue_lines.items()}
    platform_funded = platform_discount_minor + voucher_minor
    if platform_discount_minor < 0 or voucher_minor < 0 or platform_funded > sum(gross.values()):
        raise ValueError("Platform-funded discounts and vouchers are not negative and can't exceed the order.")
    funded = largest_remainder(platform_funded, gross)
    # Of each venue's platform-funded part, the gift voucher's (the rest is the discount's).
    vouchers = largest_remainder(voucher_minor, funded)
    shares = []
    for venue_id, its in venue_lines.items():
        commission = sum(s.commission_minor for s in its)
        shares.append(
            VenueShare(
                venue_id=venue_id,
                currency=currency,
                gross_minor=gross[venue_id],
                commission_minor=commission,
                transfer_minor=gross[venue_id] - commission,
                charged_minor=gross[venue_id] - funded[venue_id],
                rate_bp=by_venue[venue_id][0].rate_bp,
                lines=tuple(its),
                voucher_minor=vouchers[venue_id],
            )
        )
    return shares


def reversal_for(*, transfer_minor: int, charged_minor: int, refunded_before: int, refund_minor: int) -> int:
    """What to take back from a venue's transfer for a refund of ``refund_minor`` of its
    ``charged_minor``, after ``refunded_before`` was refunded (rounded down, cumulatively)."""
    if refund_minor < 0 or refunded_before < 0 or refunded_before + refund_minor > charged_minor:
        raise ValueError("Refunds can't add up to more than the venue's part of the charge.")
    if charged_minor == 0:
        return 0
    before = transfer_minor * refunded_before // charged_minor
    after = transfer_minor * (refunded_before + refund_minor) // charged_minor
    return after - before


# -- rates and the order's shares ------------------------------------------------------------------


def percent_to_bp(value: str | int | Decimal) -> int:
    """ "15" or "12.5" (percent) -> 1500 or 1250 basis points; ValueError outside 0-100."""
    try:
        bp = (Decimal(str(value).strip().rstrip("%")) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(_("A commission is a percentage between 0 and 100, like 15 or 12.5.")) from None
    if not 0 <= bp <= FULL_BP:
        raise ValueError(_("A commission is a percentage between 0 and 100, like 15 or 12.5."))
    return int(bp)


def bp_label(rate_bp: int) -> str:
    """1500 -> "15%", 1250 -> "12.5%"."""
    return f"{(Decimal(rate_bp) / 100).normalize():f}%"


def default_rate_bp() -> int:
    return percent_to_bp(current_app.config.get("PLATFORM_COMMISSION_PERCENT", "15"))


def get_rates_by_category() -> dict[int, int]:
    rows = db.session.execute(select(CommissionRate.category_id, CommissionRate.rate_bp))
    return {row.category_id: row.rate_bp for row in rows}


def rate_for_venues(venue_ids: Iterable[int]) -> dict[int, int]:
    """Each venue's commission rate: its category's override, else the platform's setting."""
    ids = sorted(set(venue_ids))
    default = default_rate_bp()
    if not ids:
        return {}
    rows = db.session.execute(
        select(Venue.id, CommissionRate.rate_bp)
        .outerjoin(CommissionRate, CommissionRate.category_id == Venue.category_id)
        .where(Venue.id.in_(ids))
    )
    return {venue_id: default if rate is None else rate for venue_id, rate in rows}


def order_rates(order: Order, venue_ids: Iterable[int]) -> dict[int, int]:
    """The commission rates for an order's venues: none at all for a booking made through the
    venue's own booking button (``OrderChannel.VENUE_SITE``, docs/booking-button.md)."""
    if order.channel == OrderChannel.VENUE_SITE:
        return dict.fromkeys(venue_ids, 0)
    return rate_for_venues(venue_ids)


def venue_shares(order: Order) -> list[VenueShare]:
    """The order's shares from its bookings' online parts as they were held (amounts.py's
    items less what is due at the venue), less the promo code's discount (a venue-funded
    code lowers that venue's gross; a platform-funded one, like a gift voucher, lowers only
    what was charged). A tip (an order without bookings, app/tips) is its venue's whole:
    ``tip_shares``; a package (app/packages) its venue's less commission, like a fee."""
    if not order.bookings:
        tip = get_tip_of_order(order)
        if tip is not None:
            return tip_shares(tip.venue_id, tip.booking_id, tip.amount_minor, tip.currency)
        period = period_of_order(order)
        if period is not None:  # a membership's month (app/memberships): its venue's, less commission
            return fee_shares(period.membership.venue_id, period.amount_minor, period.currency)
        holding = get_holding_of_order(order)
        if holding is not None:  # a package (app/packages): its venue's, less commission, when sold
            return fee_shares(holding.venue_id, holding.price_minor, holding.currency)
        return []
    bookings = sorted(order.bookings, key=lambda b: b.id)
    rates = order_rates(order, (b.venue_id for b in bookings))
    # What the platform collects for a booking is its online part (a deposit, or nothing when
    # it is paid at the venue): commission is on that, never on money paid at the venue.
    lines = [VenueLine(b.venue_id, b.online_minor, rates[b.venue_id], booking_id=b.id) for b in bookings]
    discount = order.promo_discount_minor or 0
    venue_funded = discount > 0 and promo_funded_by(order) == FundedBy.VENUE
    return split_shares(
        lines,
        order.currency,
        venue_discounts=promo_allocation(order) if venue_funded else None,
        platform_discount_minor=0 if venue_funded else discount,
        voucher_minor=order.voucher_applied_minor or 0,
    )


def top_up_shares(order: Order, *, venue_id: int, booking_id: int, amount_minor: int) -> list[VenueShare]:
    """A top-up's share: the venue of the moved booking gets the difference less its commission."""
    rates = order_rates(order, [venue_id])
    return split_shares([VenueLine(venue_id, amount_minor, rates[venue_id], booking_id=booking_id)], order.currency)


def fee_shares(venue_id: int, fee_minor: int, currency: str) -> list[VenueShare]:
    """A no-show or late-cancellation fee charged to a saved card: all of it the venue's,
    less the platform's commission, like any charge."""
    rate = rate_for_venues([venue_id])[venue_id]
    return split_shares([VenueLine(venue_id, fee_minor, rate)], currency)


def tip_shares(venue_id: int, booking_id: int, amount_minor: int, currency: str) -> list[VenueShare]:
    """A tip: all of it the venue's, at a commission of 0 whatever the venue's rate
    (docs/tips.md); the gateway's processing fee is the platform's, as for every charge."""
    return split_shares([VenueLine(venue_id, amount_minor, 0, booking_id=booking_id)], currency)
