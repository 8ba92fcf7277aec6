"""After a visit the customer is asked once for a review: by email or text message, as they
chose for "Review requests and answers to your reviews" (``reviews``).

A visit counts as over when its end is ``REVIEW_REQUEST_DELAY_MINUTES`` (120, the grace) in the
past and it is confirmed or completed: the venue need not mark it completed (most never do).
The periodic job ``reviews.ask_due`` (every 10 minutes) asks for every such booking that ended
within ``REVIEW_REQUEST_LOOKBACK_HOURS`` (48: a worker down for a while catches up, and a new
deployment does not write to months of past customers). Marking a booking completed (from the
calendar or the front desk, ``booking_marked`` "complete") still enqueues ``reviews.request``
for the same time, as before; whichever comes first asks, the other finds it asked.

We select the bookings rather than mark them completed: ``confirmed -> no_show`` is the only
way to a no-show (app/booking/lifecycle.py), its fee and analytics' no-show count follow it, so
a job that moved bookings to completed would take that mark away from the venue; and check-in,
analytics and the review form already treat a confirmed visit that has ended as having
happened. The grace is the venue's time to mark a no-show before anyone is asked.

A request asks only if the booking is not a no-show or cancelled, the review can still be
written and has not been, and no request was sent for it before: the ``review_requests`` row,
unique per booking, is the "once", so a job run twice (a retry, a second mark, both paths)
sends nothing the second time. A no-show marked after the request was sent (past the grace)
takes nothing back: the review page then says the venue marked a no-show and takes no review.

The link is the booking's review page: it signs nobody in. A signed-out visitor is sent to
sign in and comes back to it; the page shows the form only to the booking's own customer
(anyone else gets a 404, app/reviews/views.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert

from app.booking.events import booking_marked
from app.booking.models import Booking, BookingStatus
from app.notifications import catalogue
from app.platform.extensions import db
from app.platform.jobs import enqueue, job
from app.reviews.models import Review, ReviewRequest
from app.reviews.service import eligibility, find_review

VISITED = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)  # a visit that happened, unless marked otherwise
BATCH = 500  # bookings one run asks for at most; the rest wait for the next run
LONGEST_VISIT = timedelta(days=1)  # selects by start (indexed) as well as by end


def _grace() -> timedelta:
    return timedelta(minutes=current_app.config["REVIEW_REQUEST_DELAY_MINUTES"])


def due_bookings(now: datetime, *, limit: int = BATCH) -> list[int]:
    """Bookings over for the grace period, within the look-back, confirmed or completed, with a
    customer account and neither a request nor a review yet; oldest first."""
    ended_before = now - _grace()
    ended_after = now - timedelta(hours=current_app.config["REVIEW_REQUEST_LOOKBACK_HOURS"])
    return list(
        db.session.scalars(
            select(Booking.id)
            .where(
                Booking.status.in_(VISITED),
                Booking.customer_id.is_not(None),
                Booking.moves_booking_id.is_(None),
                Booking.starts_at > ended_after - LONGEST_VISIT,
                Booking.ends_at > ended_after,
                Booking.ends_at <= ended_before,
                ~exists().where(ReviewRequest.booking_id == Booking.id),
                ~exists().where(Review.booking_id == Booking.id),
            )
            .order_by(Booking.ends_at, Booking.id)
            .limit(limit)
        )
    )


@job(name="reviews.ask_due")
def ask_due_job(timestamp: int | None = None) -> None:
    """Ask for a review of every visit that is due (each committed on its own)."""
    now = datetime.now(UTC)
    for booking_id in due_bookings(now):
        request_review(booking_id, now=now)
        db.session.commit()


@booking_marked.connect_via("complete")
def plan_review_request(action: str, *, booking: Booking) -> None:
    when = max(datetime.now(UTC), booking.ends_at) + _grace()
    enqueue(request_review_job, schedule_at=when, booking_id=booking.id)


@job(name="reviews.request")
def request_review_job(booking_id: int) -> None:
    request_review(booking_id)
    db.session.commit()


def request_review(booking_id: int, *, now: datetime | None = None) -> tuple[str, ...] | None:
    """Ask for the booking's review if it is due; returns the channels used (possibly none), or
    None when nothing was asked (not a visit that happened, not over for the grace period yet,
    not reviewable, reviewed, asked before)."""
    now = now or datetime.now(UTC)
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status not in VISITED:
        return None
    if booking.status == BookingStatus.CONFIRMED and booking.ends_at + _grace() > now:
        return None  # not marked completed: wait out the grace, the venue may still mark a no-show
    customer = booking.customer
    if customer is None or not customer.is_active_account:
        return None
    if not eligibility(booking, now).allowed or find_review(booking.id) is not None:
        return None
    channels = catalogue.review_request.channels(customer)
    claimed = db.session.execute(
        insert(ReviewRequest)
        .values(booking_id=booking.id, customer_id=customer.id, channels=",".join(channels))
        .on_conflict_do_nothing(index_elements=["booking_id"])
        .returning(ReviewRequest.id)
    ).scalar()
    if claimed is None:
        return None  # asked before
    catalogue.review_request.send(customer, on=channels, booking=booking)
    return channels
