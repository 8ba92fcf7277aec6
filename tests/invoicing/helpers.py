"""A venue's month for the invoicing tests: two paid bookings (£60 each at 15% commission) and
a £30 refund on one, all paid in a month that has ended."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import select, text, update

from app.booking.models import Booking, Order
from app.invoicing.service import previous_month
from app.payments.models import Payment
from app.payments.refunds import request_refund
from app.platform.extensions import db
from app.venues.models import Venue
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.payouts.helpers import connect


@dataclass
class Month:
    venue: Venue
    bookings: list[Booking]
    first: date


def sell_a_month(owner, customer, run_jobs, *, name: str = "Calm Rooms") -> Month:
    venue, service = make_bookable_venue(owner, capacity=2, name=name)
    connect(venue)
    bookings = [book(customer, service, future_slot(hour=10 + n)) for n in range(2)]
    db.session.commit()
    run_jobs()  # the venue's transfers
    payment = db.session.scalar(select(Payment).where(Payment.order_id == bookings[0].order_id))
    request_refund(payment, 3000, reason="half", booking_id=bookings[0].id)
    db.session.commit()
    run_jobs()  # the refund and the reversal
    # paid in a month that has ended, whatever day the tests run
    first = previous_month(datetime.now(UTC) - timedelta(days=2))
    paid = datetime(first.year, first.month, 15, 12, tzinfo=UTC)
    db.session.execute(update(Order).where(Order.id.in_([b.order_id for b in bookings])).values(paid_at=paid))
    db.session.flush()
    return Month(venue, bookings, first)


def ledger_commission(venue: Venue, first: date) -> int:
    """The platform's commission on the venue's orders paid in the month, straight from the
    ledger: each transfer's commission less what live reversals gave back."""
    after = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return db.session.execute(
        text(
            """
            SELECT COALESCE(SUM(t.commission_minor), 0) - COALESCE((
                SELECT SUM(r.refund_minor - r.amount_minor) FROM transfer_reversals r
                JOIN venue_transfers t2 ON t2.id = r.transfer_id JOIN orders o2 ON o2.id = t2.order_id
                WHERE t2.venue_id = :venue AND r.status IN ('netted', 'pending', 'succeeded')
                  AND o2.paid_at >= :start AND o2.paid_at < :end), 0)
            FROM venue_transfers t JOIN orders o ON o.id = t.order_id
            WHERE t.venue_id = :venue AND o.paid_at >= :start AND o.paid_at < :end
            """
        ),
        {"venue": venue.id, "start": _london(first), "end": _london(after)},
    ).scalar_one()


def _london(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Europe/London"))


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)
