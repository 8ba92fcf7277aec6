"""One review per booking, written by the booking's customer after the appointment."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, SmallInteger, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.booking.models import Booking
from app.extensions import db
from app.venues.models import Venue

BODY_MIN_LENGTH = 10
BODY_MAX_LENGTH = 2000


class ReviewStatus(enum.StrEnum):
    PUBLISHED = "published"
    HIDDEN = "hidden"  # by an admin, with a reason; kept for the audit trail


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint(f"char_length(body) BETWEEN {BODY_MIN_LENGTH} AND {BODY_MAX_LENGTH}", name="body_length"),
        CheckConstraint("status IN ('published', 'hidden')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One review per booking: a unique constraint, not only a check in code.
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=ReviewStatus.PUBLISHED)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    booking: Mapped[Booking] = relationship()
    venue: Mapped[Venue] = relationship()
    customer: Mapped[User] = relationship()
