"""Request-to-book answers that move money: a declined or lapsed request is cancelled by the
venue (app/booking/requests.py) and refunded in full through the usual refund path
(app/payments/service.refund_booking: a job pays the card back, then any gift voucher part).

The lapse job runs every five minutes; each pending request lapses once, under its row lock
(``lapse_due`` skips rows another run is working on and only takes pending ones), so a
second run of the job finds nothing more to do and refunds nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime

from app.accounts.models import User
from app.booking import requests
from app.booking.models import Booking
from app.booking.order_lifecycle import lock_order
from app.payments.service import refund_booking
from app.platform.extensions import db
from app.platform.jobs import job


def decline_request(booking: Booking, *, actor: User, now: datetime | None = None) -> int:
    """The venue declines a pending request: cancelled, refunded in full. Returns the refund."""
    booking, refund = requests.decline(booking, actor=actor, now=now)
    lock_order(booking.order_id)  # refunds are made under the order's row lock
    refund_booking(booking, refund, reason=f"Request declined by the venue ({booking.reference})")
    return refund


def lapse_requests(now: datetime | None = None) -> int:
    """Cancel and refund every pending request whose window ran out; returns how many lapsed."""
    lapsed = requests.lapse_due(now or datetime.now(UTC))
    for booking, refund in lapsed:
        lock_order(booking.order_id)
        refund_booking(booking, refund, reason=f"Request not answered in time ({booking.reference})")
    return len(lapsed)


@job(name="checkout.lapse_requests")
def lapse_requests_job(timestamp: int | None = None) -> None:
    lapse_requests()
    db.session.commit()
