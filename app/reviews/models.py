"""One review per booking, written by the booking's customer after the appointment."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.booking.models import Booking
from app.platform.columns import CreatedAt, IdKey, ImageVariants, UpdatedAt, one_of
from app.platform.extensions import db
from app.venues.models import Venue

BODY_MIN_LENGTH = 10
BODY_MAX_LENGTH = 2000


class ReviewStatus(enum.StrEnum):
    PUBLISHED = "published"
    HIDDEN = "hidden"  # by an admin, with a reason; kept for the audit trail


class _Moderated:
    """Text a customer or a venue wrote, published at once and hidden by an admin with a reason:
    a review and the venue's reply to it. Its columns come after the table's own."""

    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=ReviewStatus.PUBLISHED)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class Review(IdKey, _Moderated, db.Model):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint(f"char_length(body) BETWEEN {BODY_MIN_LENGTH} AND {BODY_MAX_LENGTH}", name="body_length"),
        one_of("status", ReviewStatus),
    )

    # One review per booking: a unique constraint, not only a check in code.
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)

    booking: Mapped[Booking] = relationship()
    venue: Mapped[Venue] = relationship()
    customer: Mapped[User] = relationship()
    reply: Mapped[ReviewReply | None] = relationship(back_populates="review")
    report: Mapped[ReviewReport | None] = relationship(back_populates="review")
    photos: Mapped[list[ReviewPhoto]] = relationship(back_populates="review", order_by="ReviewPhoto.position")


REPLY_MAX_LENGTH = 1000
REPORT_DETAILS_MAX_LENGTH = 1000
PHOTOS_MAX = 3  # photos on one review


class ReviewReply(IdKey, _Moderated, db.Model):
    """The venue's one answer to a review: written by its owner or a manager, editable, hidden
    by an admin as a review is."""

    __tablename__ = "review_replies"
    __table_args__ = (
        CheckConstraint(f"char_length(body) BETWEEN 1 AND {REPLY_MAX_LENGTH}", name="body_length"),
        one_of("status", ReviewStatus),
    )

    # Once per review: a unique constraint, not only a check in code.
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), unique=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    review: Mapped[Review] = relationship(back_populates="reply")
    venue: Mapped[Venue] = relationship()


class ReportReason(enum.StrEnum):
    FAKE = "fake"
    NOT_A_VISIT = "not_a_visit"
    OFFENSIVE = "offensive"
    PERSONAL = "personal"
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    KEPT = "kept"  # an admin read it and left the review up
    REMOVED = "removed"  # an admin hid the review


class ReviewReport(IdKey, db.Model):
    """A venue's report of a review it thinks breaks the rules: once per review; an admin decides."""

    __tablename__ = "review_reports"
    __table_args__ = (
        one_of("reason", ReportReason),
        CheckConstraint(f"char_length(details) BETWEEN 1 AND {REPORT_DETAILS_MAX_LENGTH}", name="details_length"),
        one_of("status", ReportStatus),
        CheckConstraint("(status = 'open') = (decided_at IS NULL)", name="decided_when_closed"),
        Index("ix_review_reports_open", "created_at", postgresql_where=text("status = 'open'")),
    )

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), unique=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ReportStatus.OPEN)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]

    review: Mapped[Review] = relationship(back_populates="report")
    venue: Mapped[Venue] = relationship()


class ReviewPhoto(IdKey, ImageVariants, db.Model):
    """A photo on a review, checked and re-encoded as venue photos are (app/platform/images.py)."""

    __tablename__ = "review_photos"

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    alt_text: Mapped[str] = mapped_column(String(200))
    # {"thumb": {"key": ..., "width": ..., "height": ...}, "large": {...}}
    variants: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[CreatedAt]

    review: Mapped[Review] = relationship(back_populates="photos")


class ReviewRequest(IdKey, db.Model):
    """The one request for a review after a completed visit: the row is the "once"."""

    __tablename__ = "review_requests"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channels: Mapped[str] = mapped_column(String(20), default="")  # "email", "sms", "email,sms" or "" (none chosen)
    sent_at: Mapped[datetime] = mapped_column(server_default=func.now())
