"""Earnings: what each venue made, per week or month, per booking, and what the platform kept.

Read from the transfer ledger (``venue_transfers`` and ``transfer_reversals``), grouped by
the day each order was paid in the venue's own time zone. A venue's share of an order may be
in two legs (funded by the charge and by the platform balance, for a gift voucher's part):
their gross and commission add up to the share's, so sums count each booking once, and the
booking lines read the share once per order and venue. Refunds to a gift voucher count as
refunds (their reversals name the voucher's ledger entry):

    gross       the venue's bookings (less a discount it funded)
    commission  the platform's commission, less what it gave back with refunds
    refunds     refunded to customers for these bookings
    net         gross - commission - refunds  (= transfers - reversals)
    paid out    what has reached the venue's account (sent transfers less reversals)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, select, union_all
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.booking.models import Booking, Order
from app.clients.models import VenueClient
from app.payments.models import Payment, PaymentKind, Refund, RefundStatus
from app.payouts.models import Funding, ReversalStatus, TransferReversal, TransferStatus, VenueTransfer
from app.payouts.shares import commission_of
from app.platform import timefmt
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import day_words
from app.venues.models import Venue
from app.vouchers.models import EntryKind, VoucherEntry

PERIODS = ("month", "week")
LIVE_REVERSAL = (ReversalStatus.NETTED, ReversalStatus.PENDING, ReversalStatus.SUCCEEDED)


@dataclass(frozen=True)
class Totals:
    currency: str
    gross_minor: int = 0
    commission_minor: int = 0
    refunds_minor: int = 0
    net_minor: int = 0
    paid_out_minor: int = 0

    @property
    def waiting_minor(self) -> int:
        """Earned but not in the venue's account yet."""
        return self.net_minor - self.paid_out_minor

    def money(self, field: str) -> str:
        return format_money(getattr(self, field), self.currency)


@dataclass(frozen=True)
class PeriodRow:
    start: date
    label: str
    totals: Totals


@dataclass(frozen=True)
class BookingLine:
    paid_on: date
    booking_id: int
    reference: str
    client: str  # who booked: the customer's account name, or the desk's client without one
    service: str
    starts: str
    status: str
    currency: str
    gross_minor: int
    commission_minor: int
    refunded_minor: int
    net_minor: int
    channel: str = "marketplace"  # the order's: 'venue_site' for the venue's own booking button


def period_bounds(period: str, start: date) -> tuple[date, date]:
    """The first day of the period holding ``start`` and the first day after it."""
    if period == "week":
        first = start - timedelta(days=start.weekday())
        return first, first + timedelta(days=7)
    first = start.replace(day=1)
    after = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, after


def period_label(period: str, start: date) -> str:
    if period == "week":
        return _("Week of %(day)s", day=day_words(start, "d MMM yyyy"))
    return day_words(start, "MMMM yyyy")


def _reversal_sums():
    """Per transfer: refunds split to it, and what was taken back (live reversals only)."""
    return (
        select(
            TransferReversal.transfer_id.label("transfer_id"),
            func.sum(TransferReversal.refund_minor).label("refunded"),
            func.sum(TransferReversal.amount_minor).label("reversed"),
            func.sum(TransferReversal.amount_minor)
            .filter(TransferReversal.status != ReversalStatus.NETTED)
            .label("reversed_after_sending"),
        )
        .where(TransferReversal.status.in_(LIVE_REVERSAL))
        .group_by(TransferReversal.transfer_id)
        .subquery()
    )


def _totals_columns(rev):
    refunded = func.coalesce(rev.c.refunded, 0)
    reversed_ = func.coalesce(rev.c.reversed, 0)
    paid_out = func.coalesce(
        func.sum(VenueTransfer.sent_minor).filter(VenueTransfer.status == TransferStatus.PAID), 0
    ) - func.coalesce(func.sum(rev.c.reversed_after_sending).filter(VenueTransfer.status == TransferStatus.PAID), 0)
    return (
        func.sum(VenueTransfer.gross_minor),
        func.sum(VenueTransfer.commission_minor - (refunded - reversed_)),
        func.sum(refunded),
        func.sum(VenueTransfer.transfer_minor - reversed_),
        paid_out,
    )


def _totals(currency: str, *sums: int | None) -> Totals:
    """A row of ``_totals_columns`` as Totals (a sum over no rows is None: 0)."""
    return Totals(currency, *(int(s or 0) for s in sums))


def _period_rows(period: str, zone: str, *, venue_id: int | None, limit: int) -> list[PeriodRow]:
    """Totals per period of the orders' payment dates in ``zone``, newest first: one venue's,
    or every venue's when ``venue_id`` is None (periods with a paid order only)."""
    rev = _reversal_sums()
    start = func.date_trunc(period, func.timezone(zone, Order.paid_at))
    query = (
        select(start, VenueTransfer.currency, *_totals_columns(rev))
        .join(Order, Order.id == VenueTransfer.order_id)
        .outerjoin(rev, rev.c.transfer_id == VenueTransfer.id)
        .group_by(start, VenueTransfer.currency)
        .order_by(start.desc())
        .limit(limit)
    )
    if venue_id is not None:
        query = query.where(VenueTransfer.venue_id == venue_id)
    return [
        PeriodRow(start=day.date(), label=period_label(period, day.date()), totals=_totals(currency, *sums))
        for day, currency, *sums in db.session.execute(query)
    ]


def get_period_rows(venue: Venue, period: str, *, limit: int = 24) -> list[PeriodRow]:
    """The venue's totals per period in its own time zone, newest first (periods with a paid order only)."""
    return _period_rows(period, venue.timezone, venue_id=venue.id, limit=limit)


def get_venue_totals(venue_id: int) -> Totals | None:
    """All-time totals for one venue (its balance: net owed vs paid out)."""
    return get_balances([venue_id]).get(venue_id)


def get_balances(venue_ids: list[int] | None = None) -> dict[int, Totals]:
    rev = _reversal_sums()
    query = (
        select(VenueTransfer.venue_id, VenueTransfer.currency, *_totals_columns(rev))
        .outerjoin(rev, rev.c.transfer_id == VenueTransfer.id)
        .group_by(VenueTransfer.venue_id, VenueTransfer.currency)
    )
    if venue_ids is not None:
        query = query.where(VenueTransfer.venue_id.in_(venue_ids))
    return {venue_id: _totals(currency, *sums) for venue_id, currency, *sums in db.session.execute(query)}


def get_booking_lines(venue: Venue, start: datetime | None = None, end: datetime | None = None) -> list[BookingLine]:
    """Each paid booking at the venue (orders paid in [start, end) when given), oldest first."""
    zone = timefmt.venue_zone(venue.timezone)
    # A booking's refunds: to its card, and back on the gift voucher that paid part of it.
    refunds = union_all(
        select(Refund.booking_id.label("booking_id"), Refund.amount_minor.label("amount")).where(
            Refund.status == RefundStatus.SUCCEEDED, Refund.booking_id.is_not(None)
        ),
        select(VoucherEntry.booking_id, VoucherEntry.amount_minor).where(
            VoucherEntry.kind == EntryKind.REFUND, VoucherEntry.booking_id.is_not(None)
        ),
    ).subquery()
    refunded = (
        select(refunds.c.booking_id, func.sum(refunds.c.amount).label("refunded"))
        .group_by(refunds.c.booking_id)
        .subquery()
    )
    reversals = union_all(
        select(Refund.booking_id.label("booking_id"), TransferReversal.amount_minor.label("amount"))
        .join(TransferReversal, TransferReversal.refund_id == Refund.id)
        .where(TransferReversal.status.in_(LIVE_REVERSAL), Refund.booking_id.is_not(None)),
        select(VoucherEntry.booking_id, TransferReversal.amount_minor)
        .join(TransferReversal, TransferReversal.voucher_entry_id == VoucherEntry.id)
        .where(TransferReversal.status.in_(LIVE_REVERSAL), VoucherEntry.booking_id.is_not(None)),
    ).subquery()
    reversed_ = (
        select(reversals.c.booking_id, func.sum(reversals.c.amount).label("reversed"))
        .group_by(reversals.c.booking_id)
        .subquery()
    )
    # The order's checkout share of the venue, once however many legs carry it (a charge leg of
    # the checkout and a balance leg): a top-up's own transfer is part of the same booking's line.
    shared = (
        select(VenueTransfer.order_id, VenueTransfer.venue_id, VenueTransfer.commission_bp)
        .outerjoin(Payment, Payment.id == VenueTransfer.payment_id)
        .where((Payment.kind == PaymentKind.CHECKOUT) | (VenueTransfer.funding == Funding.BALANCE))
        .distinct()
        .subquery()
    )
    query = (
        select(
            Booking,
            Order.paid_at,
            Order.channel,
            shared.c.commission_bp,
            func.coalesce(refunded.c.refunded, 0),
            func.coalesce(reversed_.c.reversed, 0),
            func.coalesce(User.name, VenueClient.name, ""),
        )
        .join(Order, Order.id == Booking.order_id)
        .join(shared, and_(shared.c.order_id == Order.id, shared.c.venue_id == Booking.venue_id))
        .outerjoin(refunded, refunded.c.booking_id == Booking.id)
        .outerjoin(reversed_, reversed_.c.booking_id == Booking.id)
        .outerjoin(User, User.id == Booking.customer_id)
        .outerjoin(VenueClient, VenueClient.id == Booking.client_id)
        .where(Booking.venue_id == venue.id, Booking.moves_booking_id.is_(None))  # not a move's hold
        .options(joinedload(Booking.service))
        .order_by(Order.paid_at, Booking.id)
    )
    if start is not None:
        query = query.where(Order.paid_at >= start)
    if end is not None:
        query = query.where(Order.paid_at < end)
    lines = []
    for booking, paid_at, channel, rate_bp, refund_minor, reversal_minor, client in db.session.execute(query):
        gross = booking.unit_price_minor * booking.quantity
        commission = commission_of(gross, rate_bp)
        lines.append(
            BookingLine(
                paid_on=paid_at.astimezone(zone).date(),
                booking_id=booking.id,
                reference=booking.reference,
                client=client,
                service=booking.service.name,
                starts=timefmt.moment_label(booking.starts_at, zone),
                status=booking.status.replace("_", " "),
                currency=booking.currency,
                gross_minor=gross,
                commission_minor=commission - (int(refund_minor) - int(reversal_minor)),
                refunded_minor=int(refund_minor),
                net_minor=gross - commission - int(reversal_minor),
                channel=channel,
            )
        )
    return lines


def local_range(venue: Venue, first: date, after: date) -> tuple[datetime, datetime]:
    zone = timefmt.venue_zone(venue.timezone)
    return (
        datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC),
        datetime(after.year, after.month, after.day, tzinfo=zone).astimezone(UTC),
    )


CSV_HEADER = [
    "paid_on",
    "reference",
    "service",
    "appointment",
    "status",
    "currency",
    "gross",
    "commission",
    "refunded",
    "net",
]


def _decimal(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def lines_csv(lines: list[BookingLine]) -> str:
    """The booking lines as CSV (amounts in major units with two decimals, a header row).
    Cells that a spreadsheet would run as a formula are quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for line in lines:
        writer.writerow(
            [
                line.paid_on.isoformat(),
                line.reference,
                _safe(line.service),
                line.starts,
                line.status,
                line.currency,
                _decimal(line.gross_minor),
                _decimal(line.commission_minor),
                _decimal(line.refunded_minor),
                _decimal(line.net_minor),
            ]
        )
    return out.getvalue()


def _safe(text: str) -> str:
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# -- the platform ----------------------------------------------------------------------------------


def get_platform_revenue(period: str, *, limit: int = 24) -> list[PeriodRow]:
    """The platform's commission (less what refunds gave back) per period (UTC), newest first."""
    return _period_rows(period, "UTC", venue_id=None, limit=limit)
