"""One message of a booking's thread between its customer and the venue.

Plain text only: the body is stored as typed and escaped when shown. A recipient may report a
message (with a reason); an admin then hides it or dismisses the report (``moderation``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.booking.models import Booking
from app.platform.columns import CreatedAt, IdKey, one_of
from app.platform.extensions import db

BODY_MAX_LENGTH = 2000
REPORT_REASON_MAX_LENGTH = 500


class Side(enum.StrEnum):
    CUSTOMER = "customer"
    VENUE = "venue"


class Moderation(enum.StrEnum):
    HIDDEN = "hidden"  # an admin hid the message: the thread shows that it was removed
    DISMISSED = "dismissed"  # an admin read the report and kept the message


class BookingMessage(IdKey, db.Model):
    __tablename__ = "booking_messages"
    __table_args__ = (
        one_of("sender_side", Side),
        CheckConstraint(f"char_length(body) BETWEEN 1 AND {BODY_MAX_LENGTH}", name="body_length"),
        CheckConstraint("moderation IS NULL OR moderation IN ('hidden', 'dismissed')", name="moderation_known"),
        CheckConstraint("(reported_at IS NULL) = (report_reason IS NULL)", name="report_has_reason"),
        Index("ix_booking_messages_booking_id_created_at", "booking_id", "created_at"),
        Index("ix_booking_messages_sender_user_id_created_at", "sender_user_id", "created_at"),
        Index("ix_booking_messages_open_reports", "reported_at", postgresql_where="reported_at IS NOT NULL"),
    )

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    sender_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sender_side: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
    read_by_other_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]
    report_reason: Mapped[str | None] = mapped_column(Text)
    reported_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderation: Mapped[str | None] = mapped_column(String(10))
    moderated_at: Mapped[datetime | None]

    booking: Mapped[Booking] = relationship()
    sender: Mapped[User] = relationship(foreign_keys=[sender_user_id])

    @property
    def is_hidden(self) -> bool:
        return self.moderation == Moderation.HIDDEN
