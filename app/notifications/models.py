"""Notification records: who wants what on which channel, the venue's reminder offsets, one
row per planned reminder, every text message sent (the admins' SMS log), the in-app notices
of the notification centre and the daily agendas sent."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.booking.models import Booking
from app.platform.columns import CreatedAt, IdKey, one_of
from app.platform.extensions import db


class ReminderStatus(enum.StrEnum):
    PLANNED = "planned"  # its job is queued for due_at
    SENT = "sent"
    SKIPPED = "skipped"  # the customer doesn't want this channel, or has no number for it
    DROPPED = "dropped"  # the booking moved, was cancelled or started before it was due


class NotificationPreference(db.Model):
    """One explicit choice: kind x channel on or off. No row: the documented default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('booking_confirmations', 'reminders', 'changes', 'waitlist_offers', 'marketing',"
            " 'venue_activity', 'daily_agenda', 'reviews')",
            name="kind_known",
        ),
        one_of("channel", ("email", "sms")),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    enabled: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SmsNumber(db.Model):
    """The mobile number a person gets text messages on, in E.164 (+447911123456)."""

    __tablename__ = "sms_numbers"
    __table_args__ = (CheckConstraint("number ~ '^\\+[1-9][0-9]{6,14}$'", name="e164"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class VenueReminderSettings(db.Model):
    """When a venue's customers are reminded: minutes before the start. No row: 24 hours."""

    __tablename__ = "venue_reminder_settings"
    __table_args__ = (
        CheckConstraint("cardinality(offsets_minutes) BETWEEN 1 AND 3", name="offsets_count"),
        CheckConstraint("0 < ALL(offsets_minutes) AND 10080 >= ALL(offsets_minutes)", name="offsets_range"),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    offsets_minutes: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class BookingReminder(IdKey, db.Model):
    """One reminder of one booking, on one channel, for the start time it was planned for.

    The unique key is what makes a reminder go out once: its job locks this row and turns it
    from ``planned`` to ``sent`` in the transaction that records the message."""

    __tablename__ = "booking_reminders"
    __table_args__ = (
        UniqueConstraint("booking_id", "offset_minutes", "channel", "starts_at"),
        one_of("status", ReminderStatus),
        one_of("channel", ("email", "sms")),
    )

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    offset_minutes: Mapped[int]
    channel: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime]  # the booking's start when planned
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default=ReminderStatus.PLANNED)
    job_id: Mapped[int | None]
    sent_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(String(200))  # why skipped or dropped
    created_at: Mapped[CreatedAt]

    booking: Mapped[Booking] = relationship()


class SmsMessage(IdKey, db.Model):
    """A text message handed to the SMS gateway (console or Twilio), by its idempotency key."""

    __tablename__ = "sms_messages"

    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_number: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    gateway: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[CreatedAt] = mapped_column(index=True)


class Notice(IdKey, db.Model):
    """One in-app notice in a person's notification centre (app/notifications/centre.py).

    ``title`` and ``body`` are stored as rendered in the recipient's language when it was made
    (as an email is), so reading the centre is one indexed query with no per-kind code.
    ``key`` makes a notice once: the same event told twice (a replayed webhook) finds its key
    taken and adds nothing. ``link`` is a path on this site (never an outside address)."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_notices_user_id_read_at", "user_id", "read_at"),
        Index("ix_notices_user_id_id", "user_id", "id"),
        CheckConstraint("link LIKE '/%' AND link NOT LIKE '//%'", name="link_local"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500))
    key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[CreatedAt]
    read_at: Mapped[datetime | None]


class AgendaSent(db.Model):
    """A venue's agenda for ``day`` was sent: the primary key is what sends it once."""

    __tablename__ = "agenda_sends"

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    bookings: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReturnKind(enum.StrEnum):
    """The invitations back (app/notifications/return_messages.py)."""

    REBOOK = "rebook"  # N weeks after a visit of a service with a rhythm
    BIRTHDAY = "birthday"  # on the customer's birthday, from a venue they visited
    WIN_BACK = "win_back"  # M months after the last visit at a venue


class ReturnMessage(IdKey, db.Model):
    """One invitation back sent: the unique (customer, venue, kind, period) is the "once" (the
    period: the visit's id for a nudge or a win-back, the year for a birthday)."""

    __tablename__ = "return_messages"
    __table_args__ = (
        UniqueConstraint("customer_id", "venue_id", "kind", "period"),
        Index("ix_return_messages_venue_id_sent_at", "venue_id", "sent_at"),
        one_of("kind", [k.value for k in ReturnKind]),
    )

    kind: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    period: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(server_default=func.now())
