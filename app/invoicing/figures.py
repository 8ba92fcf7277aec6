"""A venue's month in money, read from the payouts ledger through its earnings queries
(app/payouts/earnings.py): what the Earnings page shows for the month is what the invoice and
the statement say, so money rules are never derived twice (docs/invoices.md).

The month is the venue's own (its time zone), and an order counts in the month it was paid,
with the refunds known when the documents are issued, as on the Earnings page. Commission is
VAT-inclusive: what the platform kept is the invoice's gross, split into net and VAT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import func, select

from app.booking.models import Order
from app.payments.models import Payment, PaymentKind
from app.payouts.earnings import BookingLine, Totals, get_booking_lines, get_period_rows, local_range, period_bounds
from app.payouts.models import Payout, VenueTransfer
from app.platform.extensions import db
from app.venues.models import Venue

# Months back the earnings query reads to find the one asked for (one grouped statement).
MONTHS_READ = 1200


@dataclass(frozen=True)
class MonthFigures:
    first: date
    after: date
    totals: Totals  # gross, commission (less what refunds gave back), refunds, net, paid out
    lines: list[BookingLine]
    fees_minor: int  # no-show and late-cancellation fees charged (part of the gross)
    bank_payouts_minor: int  # payouts that reached the venue's bank during the month

    @property
    def currency(self) -> str:
        return self.totals.currency

    @property
    def bookings_minor(self) -> int:
        return sum(line.gross_minor for line in self.lines)

    @property
    def other_minor(self) -> int:
        """Gross that is neither a booking's nor a fee: top-ups for moves, payment links."""
        return self.totals.gross_minor - self.bookings_minor - self.fees_minor


def vat_rate_bp() -> int:
    """VAT_RATE_PERCENT ("20", "17.5") in basis points."""
    return int(Decimal(str(current_app.config["VAT_RATE_PERCENT"])) * 100)


def split_vat(gross_minor: int, rate_bp: int) -> tuple[int, int]:
    """(net, vat) of a VAT-inclusive ``gross_minor``: net rounded half up, VAT the rest, so they
    add up to the gross exactly. A negative gross (a credit note) splits as its opposite."""
    sign = -1 if gross_minor < 0 else 1
    net = (Decimal(abs(gross_minor)) * 10000 / (10000 + rate_bp)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    net_minor = sign * int(net)
    return net_minor, gross_minor - net_minor


def month_of(value: str) -> date:
    """ "2026-11" as the month's first day (ValueError for anything else)."""
    year, _, month = value.partition("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(value)
    return date(int(year), int(month), 1)


def get_month_figures(venue: Venue, first: date) -> MonthFigures | None:
    """The venue's month starting ``first`` in its own currency, or None when nothing was paid
    and no payout reached its bank in it."""
    first, after = period_bounds("month", first)
    start, end = local_range(venue, first, after)
    rows = [
        row
        for row in get_period_rows(venue, "month", limit=MONTHS_READ)
        if row.start == first and row.totals.currency == venue.currency
    ]
    bank = _bank_payouts(venue, start, end)
    if not rows and not bank:
        return None
    totals = rows[0].totals if rows else Totals(venue.currency)
    return MonthFigures(
        first=first,
        after=after,
        totals=totals,
        lines=[line for line in get_booking_lines(venue, start, end) if line.currency == venue.currency],
        fees_minor=_fees(venue, start, end),
        bank_payouts_minor=bank,
    )


def get_active_venue_ids(first: date) -> list[int]:
    """Venues that may have a month starting ``first``: an order paid or a payout made within a
    day of it in UTC (each venue's own month is read exactly by ``get_month_figures``)."""
    first, after = period_bounds("month", first)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=UTC) + timedelta(days=1)
    paid = (
        select(VenueTransfer.venue_id)
        .join(Order, Order.id == VenueTransfer.order_id)
        .where(Order.paid_at >= start, Order.paid_at < end)
    )
    arrived = func.coalesce(Payout.arrival_at, Payout.created_at)
    banked = select(Payout.venue_id).where(arrived >= start, arrived < end)
    return sorted(set(db.session.scalars(paid.union(banked))))


def _fees(venue: Venue, start: datetime, end: datetime) -> int:
    total = db.session.scalar(
        select(func.sum(VenueTransfer.gross_minor))
        .join(Payment, Payment.id == VenueTransfer.payment_id)
        .join(Order, Order.id == VenueTransfer.order_id)
        .where(
            VenueTransfer.venue_id == venue.id,
            VenueTransfer.currency == venue.currency,
            Payment.kind == PaymentKind.FEE,
            Order.paid_at >= start,
            Order.paid_at < end,
        )
    )
    return int(total or 0)


def _bank_payouts(venue: Venue, start: datetime, end: datetime) -> int:
    arrived = func.coalesce(Payout.arrival_at, Payout.created_at)
    total = db.session.scalar(
        select(func.sum(Payout.amount_minor)).where(
            Payout.venue_id == venue.id,
            Payout.currency == venue.currency,
            Payout.status == "paid",
            arrived >= start,
            arrived < end,
        )
    )
    return int(total or 0)
