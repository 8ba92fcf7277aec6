"""The rules of reviews: who may review which booking and when, writing one, hiding one, and
the venue's average and count. Views call these and commit once. A review written fires
``review_posted`` (app/reviews/events.py) for whatever follows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.audit import service as audit
from app.booking.models import Booking, BookingStatus
from app.platform.errors import Conflict, ValidationFailed
from app.platform.extensions import db
from app.platform.sqlutil import savepoint_or_refuse
from app.reviews.events import review_posted
from app.reviews.models import BODY_MAX_LENGTH, BODY_MIN_LENGTH, Review, ReviewReply, ReviewStatus
from app.reviews.photos import convert_photos, store_photos
from app.venues.models import Venue

REVIEW_WINDOW = timedelta(days=90)  # after the appointment ends
HIDE_REASON_MAX_LENGTH = 500


class AlreadyReviewed(Conflict):
    pass


class NotReviewable(Conflict):
    pass


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str = ""


def eligibility(booking: Booking, now: datetime) -> Eligibility:
    """Whether the booking's customer may review it now (ownership is checked by the view)."""
    if booking.status in (BookingStatus.HELD, BookingStatus.EXPIRED):
        return Eligibility(False, "This booking was never confirmed, so there is nothing to review.")
    if booking.status.startswith("cancelled"):
        return Eligibility(False, "This booking was cancelled, so there is nothing to review.")
    if booking.status == BookingStatus.NO_SHOW:
        return Eligibility(False, "The venue marked this booking as a no-show.")
    if booking.ends_at > now:
        return Eligibility(False, "You can review this booking once the appointment is over.")
    if now - booking.ends_at > REVIEW_WINDOW:
        return Eligibility(False, f"Reviews can be left for {REVIEW_WINDOW.days} days after the appointment.")
    return Eligibility(True)


def find_review(booking_id: int) -> Review | None:
    return db.session.scalar(select(Review).where(Review.booking_id == booking_id))


def create_review(
    booking: Booking,
    *,
    customer: User,
    rating: int,
    body: str,
    photos: Sequence[bytes] = (),
    now: datetime | None = None,
) -> Review:
    """Write the customer's review of ``booking`` (with up to PHOTOS_MAX ``photos``, the
    uploads' bytes), refresh the venue's average and fire ``review_posted`` once."""
    now = now or datetime.now(UTC)
    body = body.strip()
    if not 1 <= rating <= 5:
        raise ValidationFailed(_("Choose a rating from 1 to 5 stars."), field="rating")
    if not BODY_MIN_LENGTH <= len(body) <= BODY_MAX_LENGTH:
        raise ValidationFailed(
            _(
                "Write between %(body_min_length)s and %(body_max_length)s characters.",
                body_min_length=BODY_MIN_LENGTH,
                body_max_length=BODY_MAX_LENGTH,
            ),
            field="body",
        )
    verdict = eligibility(booking, now)
    if not verdict.allowed:
        raise NotReviewable(verdict.reason)
    if find_review(booking.id) is not None:
        raise AlreadyReviewed(_("You have already reviewed this booking."))
    converted = convert_photos(list(photos)) if photos else []  # a bad file refuses the review, before any write
    review = Review(booking_id=booking.id, venue_id=booking.venue_id, customer_id=customer.id, rating=rating, body=body)
    # The unique constraint on booking_id is the backstop for two submissions at once: the
    # second insert waits for the first and then fails, refused as the check above refuses.
    with savepoint_or_refuse(
        AlreadyReviewed(_("You have already reviewed this booking.")), constraint="uq_reviews_booking_id"
    ):
        db.session.add(review)
    if converted:
        alt = _("Customer's photo of %(service)s", service=booking.service.name)
        store_photos(review, converted, alt_text=alt)
    refresh_venue_rating(booking.venue_id)
    review_posted.send("customer", review=review, venue_id=booking.venue_id)
    return review


def hide_reason(reason: str | None, *, hidden: bool, missing: str) -> str:
    """An admin's reason for hiding a review or a venue's answer: required to hide, bounded."""
    reason = (reason or "").strip()
    if hidden and not reason:
        raise ValidationFailed(missing, field="reason")
    if len(reason) > HIDE_REASON_MAX_LENGTH:
        raise ValidationFailed(
            _(
                "Keep the reason under %(hide_reason_max_length)s characters.",
                hide_reason_max_length=HIDE_REASON_MAX_LENGTH,
            ),
            field="reason",
        )
    return reason


def switch_visibility(
    moderated: Review | ReviewReply,
    subject_type: str,
    *,
    hidden: bool,
    actor: User,
    reason: str,
    missing: str,
    already: Conflict,
    **details: object,
) -> None:
    """Hide a review or a venue's answer (with a reason) or publish it again, audited as
    ``<subject_type>.hidden`` or ``.published``. ``missing`` says a hidden one needs a reason;
    ``already`` is raised when it is in that state already."""
    reason = hide_reason(reason, hidden=hidden, missing=missing)
    target = ReviewStatus.HIDDEN if hidden else ReviewStatus.PUBLISHED
    if moderated.status == target:
        raise already
    before = moderated.status
    moderated.status = target
    moderated.hidden_reason = reason if hidden else None
    audit.record(
        f"{subject_type}.hidden" if hidden else f"{subject_type}.published",
        actor_id=actor.id,
        about=(subject_type, moderated.id),
        from_state=before,
        to_state=target,
        reason=reason or None,
        venue_id=moderated.venue_id,
        **details,
    )
    db.session.flush()


def set_visibility(review: Review, *, hidden: bool, actor: User, reason: str = "") -> None:
    """Hide a review (with a reason) or publish it again; audited."""
    switch_visibility(
        review,
        "review",
        hidden=hidden,
        actor=actor,
        reason=reason,
        missing=_("Say why the review is hidden: the customer and other admins see it."),
        already=NotReviewable(
            _("This review is already hidden.") if hidden else _("This review is already published.")
        ),
    )
    refresh_venue_rating(review.venue_id)


def refresh_venue_rating(venue_id: int) -> None:
    """Recount the venue's published reviews into ``venues.rating`` and ``review_count``.

    The venue row is locked first, so two reviews written at once are counted one after the
    other: the second recount runs after the first commits and sees both reviews."""
    venue = db.session.scalars(
        select(Venue).where(Venue.id == venue_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    average, count = db.session.execute(
        select(func.avg(Review.rating), func.count()).where(
            Review.venue_id == venue_id, Review.status == ReviewStatus.PUBLISHED
        )
    ).one()
    venue.rating = Decimal(average).quantize(Decimal("0.01"), ROUND_HALF_UP) if average is not None else None
    venue.review_count = int(count)
    db.session.flush()


def venue_reviews(venue_id: int, *, limit: int = 10, offset: int = 0) -> list[Review]:
    """Published reviews of a venue, newest first."""
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.venue_id == venue_id, Review.status == ReviewStatus.PUBLISHED)
            # Each review's author and booked service come in the same query (many-to-one joins).
            .options(
                joinedload(Review.customer),
                joinedload(Review.booking).joinedload(Booking.service),
                joinedload(Review.reply),
                selectinload(Review.photos),
            )
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def rating_breakdown(venue_id: int) -> dict[int, int]:
    """How many published reviews gave each number of stars (5 down to 1)."""
    rows = db.session.execute(
        select(Review.rating, func.count())
        .where(Review.venue_id == venue_id, Review.status == ReviewStatus.PUBLISHED)
        .group_by(Review.rating)
    ).all()
    counts = dict(rows)
    return {stars: int(counts.get(stars, 0)) for stars in range(5, 0, -1)}
