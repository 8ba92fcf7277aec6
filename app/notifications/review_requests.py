"""After a completed visit the customer is asked once for a review: by email or text message,
as they chose for "Review requests and answers to your reviews" (``reviews``).

A booking marked completed (``booking_marked`` "complete", from the calendar or the front desk)
enqueues ``reviews.request`` for ``REVIEW_REQUEST_DELAY_MINUTES`` after the appointment ends.
The job asks only if the booking is still completed then (a mark undone, a no-show or a
cancellation asks nothing), the review can still be written and has not been, and no request
was sent for it before: the ``review_requests`` row, unique per booking, is the "once", so a
job run twice (a retry, a second mark) sends nothing the second time.

The link is the booking's review page: it signs nobody in. A signed-out visitor is sent to
sign in and comes back to it; the page shows the form only to the booking's own customer
(anyone else gets a 404, app/reviews/views.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert

from app.booking.events import booking_marked
from app.booking.models import Booking, BookingStatus
from app.email import send_email, speaking_to
from app.extensions import db
from app.jobs import enqueue, job
from app.notifications.preferences import EMAIL, SMS, channels_for, get_sms_number
from app.notifications.sms import send_sms_later
from app.reviews.models import ReviewRequest
from app.reviews.service import eligibility, find_review
from app.timefmt import local_start
from app.urls import absolute_url

REVIEWS = "reviews"


@booking_marked.connect_via("complete")
def plan_review_request(action: str, *, booking: Booking) -> None:
    delay = timedelta(minutes=current_app.config["REVIEW_REQUEST_DELAY_MINUTES"])
    when = max(datetime.now(UTC), booking.ends_at) + delay
    enqueue(request_review_job, schedule_at=when, booking_id=booking.id)


@job(name="reviews.request")
def request_review_job(booking_id: int) -> None:
    request_review(booking_id)
    db.session.commit()


def request_review(booking_id: int, *, now: datetime | None = None) -> tuple[str, ...] | None:
    """Ask for the booking's review if it is due; returns the channels used (possibly none), or
    None when nothing was asked (not completed, not reviewable, reviewed, asked before)."""
    now = now or datetime.now(UTC)
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status != BookingStatus.COMPLETED:
        return None
    customer = booking.customer
    if customer is None or not customer.is_active_account:
        return None
    if not eligibility(booking, now).allowed or find_review(booking.id) is not None:
        return None
    channels = channels_for(customer, REVIEWS)
    claimed = db.session.execute(
        insert(ReviewRequest)
        .values(booking_id=booking.id, customer_id=customer.id, channels=",".join(channels))
        .on_conflict_do_nothing(index_elements=["booking_id"])
        .returning(ReviewRequest.id)
    ).scalar()
    if claimed is None:
        return None  # asked before
    link = absolute_url("booking.review_booking", reference=booking.reference)
    if EMAIL in channels:
        with speaking_to(customer):
            when = local_start(booking)
        send_email(
            customer.email,
            _l("How was %(service)s at %(venue)s?", service=booking.service.name, venue=booking.venue.name),
            "review_request",
            user=customer,
            booking=booking,
            when=when,
            review_url=link,
        )
    if SMS in channels:
        send_sms_later(
            get_sms_number(customer.id) or "",
            f"CozyWish: how was {booking.service.name} at {booking.venue.name}? Leave a review: {link}",
            user_id=customer.id,
        )
    return channels
