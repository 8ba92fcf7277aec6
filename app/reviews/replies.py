"""A venue's side of its reviews: one answer per review (editable), a report of a review it
thinks breaks the rules, and the admins' decisions on both. Views call these and commit once;
every admin decision is written to the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.audit import service as audit
from app.booking.models import Booking
from app.platform.errors import Conflict, NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.form_fields import required_text
from app.platform.sqlutil import one_or_not_found, savepoint_or_refuse
from app.reviews.events import report_decided, review_replied, review_reported
from app.reviews.models import (
    REPLY_MAX_LENGTH,
    REPORT_DETAILS_MAX_LENGTH,
    ReportReason,
    ReportStatus,
    Review,
    ReviewReply,
    ReviewReport,
    ReviewStatus,
)
from app.reviews.service import HIDE_REASON_MAX_LENGTH, set_visibility, switch_visibility

REPORT_REASONS: dict[str, object] = {
    ReportReason.FAKE: _l("It looks fake or was written by a competitor"),
    ReportReason.NOT_A_VISIT: _l("It is not about a visit to us"),
    ReportReason.OFFENSIVE: _l("It is abusive, hateful or threatening"),
    ReportReason.PERSONAL: _l("It gives someone's personal details"),
    ReportReason.OTHER: _l("Something else"),
}


class AlreadyReported(Conflict):
    pass


def venue_review(venue_id: int, review_id: int, *, for_update: bool = False) -> Review:
    """One of the venue's reviews; another venue's (or none) is NotFound, so ids can't be probed."""
    return one_or_not_found(
        select(Review).where(Review.id == review_id, Review.venue_id == venue_id),
        _("There is no such review of your venue."),
        for_update=for_update,
    )


def reviews_for_venue(venue_id: int, *, limit: int = 50, offset: int = 0) -> list[Review]:
    """The venue's reviews for its own page, newest first, with their answers and reports."""
    return list(
        db.session.scalars(
            _venue_reviews_select(venue_id)
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
            .offset(offset)
        ).unique()
    )


def _venue_reviews_select(venue_id: int):
    return (
        select(Review)
        .where(Review.venue_id == venue_id)
        .options(
            joinedload(Review.customer),
            joinedload(Review.booking).joinedload(Booking.service),
            joinedload(Review.reply),
            joinedload(Review.report),
            selectinload(Review.photos),
        )
    )


def reviews_for_venue_one(venue_id: int, review_id: int) -> Review:
    """One review of the venue, loaded as the list loads them (after a change, for its fragment)."""
    db.session.flush()  # what the change wrote, not what the session remembers
    db.session.expire_all()
    found = list(db.session.scalars(_venue_reviews_select(venue_id).where(Review.id == review_id)).unique())
    if not found:
        raise NotFound(_("There is no such review of your venue."))
    return found[0]


def _clean_reply(body: str) -> str:
    return required_text(
        body,
        missing=_("Write your answer before publishing it."),
        max_length=REPLY_MAX_LENGTH,
        too_long=_("Keep your answer under %(reply_max_length)s characters.", reply_max_length=REPLY_MAX_LENGTH),
    )


def save_reply(review: Review, *, author: User, body: str) -> ReviewReply:
    """The venue's answer to ``review``: written the first time, edited after that. A hidden
    review takes no answer; a hidden answer stays hidden until an admin publishes it again."""
    body = _clean_reply(body)
    if review.status != ReviewStatus.PUBLISHED:
        raise Conflict(_("This review is hidden, so it can't be answered."))
    reply = review.reply
    first = reply is None
    if first:
        reply = ReviewReply(review_id=review.id, venue_id=review.venue_id, author_id=author.id, body=body)
        db.session.add(reply)
        review.reply = reply
    elif reply.body == body:
        return reply
    else:
        reply.body = body
        reply.author_id = author.id
    # The unique constraint on review_id backs up "once per review" for two answers at once.
    db.session.flush()
    review_replied.send("venue", review=review, reply=reply, first=first)
    return reply


def find_reply(review_id: int) -> ReviewReply | None:
    """The venue's answer to a review, locked for an admin's decision about it."""
    return db.session.scalars(
        select(ReviewReply).where(ReviewReply.review_id == review_id).with_for_update()
    ).one_or_none()


def set_reply_visibility(reply: ReviewReply, *, hidden: bool, actor: User, reason: str = "") -> None:
    """Hide a venue's answer (with a reason) or publish it again; audited, as reviews are."""
    switch_visibility(
        reply,
        "review_reply",
        hidden=hidden,
        actor=actor,
        reason=reason,
        missing=_("Say why the answer is hidden: the venue and other admins see it."),
        already=Conflict(_("This answer is already hidden.") if hidden else _("This answer is already published.")),
        review_id=reply.review_id,
    )


# -- reports -------------------------------------------------------------------------------------


def report_review(review: Review, *, reporter: User, reason: str, details: str) -> ReviewReport:
    """The venue's report of ``review``: once per review, with a reason from the list and words."""
    if reason not in REPORT_REASONS:
        raise ValidationFailed(_("Choose a reason from the list."))
    details = required_text(
        details,
        missing=_("Tell us what is wrong with this review."),
        max_length=REPORT_DETAILS_MAX_LENGTH,
        too_long=_("Keep the details under %(max_length)s characters.", max_length=REPORT_DETAILS_MAX_LENGTH),
    )
    if review.report is not None:
        raise AlreadyReported(_("You have already reported this review."))
    if review.status != ReviewStatus.PUBLISHED:
        raise Conflict(_("This review is already hidden."))
    report = ReviewReport(
        review_id=review.id, venue_id=review.venue_id, reporter_id=reporter.id, reason=reason, details=details
    )
    # The unique constraint on review_id: two reports at once, one wins.
    with savepoint_or_refuse(
        AlreadyReported(_("You have already reported this review.")), constraint="uq_review_reports_review_id"
    ):
        db.session.add(report)
        review.report = report
    review_reported.send("venue", report=report)
    return report


def open_reports(*, limit: int = 50) -> list[ReviewReport]:
    return list(
        db.session.scalars(
            select(ReviewReport)
            .where(ReviewReport.status == ReportStatus.OPEN)
            .options(joinedload(ReviewReport.review).joinedload(Review.customer), joinedload(ReviewReport.venue))
            .order_by(ReviewReport.created_at, ReviewReport.id)
            .limit(limit)
        )
    )


def count_open_reports() -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewReport).where(ReviewReport.status == "open"))


def decide_report(
    report: ReviewReport, *, keep: bool, actor: User, note: str = "", now: datetime | None = None
) -> None:
    """An admin's decision: keep the review, or remove it (hidden, with the report's reason);
    audited; the venue and the reviewer are told (``report_decided``)."""
    note = (note or "").strip()
    if len(note) > HIDE_REASON_MAX_LENGTH:
        raise ValidationFailed(
            _(
                "Keep the reason under %(hide_reason_max_length)s characters.",
                hide_reason_max_length=HIDE_REASON_MAX_LENGTH,
            )
        )
    if report.status != ReportStatus.OPEN:
        raise Conflict(_("This report has already been decided."))
    review = report.review
    if not keep:
        if not note:
            raise ValidationFailed(_("Say why the review is removed: the customer and the venue see it."))
        if review.status == ReviewStatus.PUBLISHED:
            set_visibility(review, hidden=True, actor=actor, reason=note)
    report.status = ReportStatus.KEPT if keep else ReportStatus.REMOVED
    report.decided_by_id = actor.id
    report.decided_at = now or datetime.now(UTC)
    report.decision_note = note or None
    audit.record(
        "review_report.kept" if keep else "review_report.removed",
        actor_id=actor.id,
        about=("review_report", report.id),
        from_state=ReportStatus.OPEN,
        to_state=report.status,
        reason=note or None,
        venue_id=report.venue_id,
        review_id=report.review_id,
    )
    db.session.flush()
    report_decided.send(str(report.status), report=report)
