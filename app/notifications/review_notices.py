"""What happens to a review, told to the people it concerns: the customer hears of the venue's
first answer to their review; the admins hear of a review a venue reported; the venue and the
reviewer hear the admins' decision on it. A notice in the notification centre always (once per
key), and by email and text message on the channels each chose: customers for "Review requests
and answers to your reviews" (``reviews``: catalogue.review_news), the venue's people for venue
activity."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.notifications import catalogue
from app.notifications.activity import tell_admins, tell_venue
from app.notifications.telling import site_path
from app.reviews.events import report_decided, review_replied, review_reported
from app.reviews.models import ReportStatus, Review, ReviewReply, ReviewReport


def review_link(review: Review) -> str:
    return site_path("booking.review_booking", reference=review.booking.reference)


@review_replied.connect
def tell_customer_of_reply(sender: str, *, review: Review, reply: ReviewReply, first: bool) -> None:
    """The first answer only: an edit of it tells nobody again."""
    if not first:
        return
    venue = review.venue
    catalogue.review_news.send(
        review.customer,
        title=_l("%(venue)s answered your review", venue=venue.name),
        body=reply.body[:300],
        link=review_link(review),
        key=f"review-reply:{review.id}",
        sms=f"{venue.name} answered your review.",
    )


@review_reported.connect
def tell_admins_of_report(sender: str, *, report: ReviewReport) -> None:
    tell_admins(catalogue.review_reported, report=report)


@report_decided.connect
def tell_both_sides(decision: str, *, report: ReviewReport) -> None:
    review, venue = report.review, report.venue
    removed = decision == ReportStatus.REMOVED
    tell_venue(
        venue,
        title=(
            _l("We removed the review you reported at %(venue)s", venue=venue.name)
            if removed
            else _l("We kept the review you reported at %(venue)s", venue=venue.name)
        ),
        body=report.decision_note or "",
        link=site_path("venues_dashboard.venue_reviews") + f"#review-{review.id}",
        key=f"review-report-decided:{report.id}",
        sms=f"the review you reported was {'removed' if removed else 'kept'}.",
    )
    catalogue.review_news.send(
        review.customer,
        title=(
            _l("Your review of %(venue)s was removed", venue=venue.name)
            if removed
            else _l("Your review of %(venue)s stays published", venue=venue.name)
        ),
        body=(
            report.decision_note or ""
            if removed
            else str(_l("The venue asked us to check your review; it follows our rules, so it stays up."))
        ),
        link=review_link(review),
        key=f"review-report-decided:{report.id}",
        sms=f"your review of {venue.name} was {'removed' if removed else 'checked and stays published'}.",
    )
