"""When each team member works: a weekly pattern, exceptions by date and time off.

Times of day are minutes since local midnight in the venue's zone (0..1440), like opening
hours. A member with no weekly rows works the venue's opening hours. Overlaps are refused by
exclusion constraints (see migration 0020), not only by the service.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.platform.columns import CreatedAt, IdKey, one_of
from app.platform.extensions import db
from app.venues.models import TeamMember


class TimeOffKind(enum.StrEnum):
    HOLIDAY = "holiday"
    SICKNESS = "sickness"
    OTHER = "other"


TIME_OFF_LABELS = {
    TimeOffKind.HOLIDAY: _l("Holiday"),
    TimeOffKind.SICKNESS: _l("Sickness"),
    TimeOffKind.OTHER: _l("Other"),
}


class WorkingHours(IdKey, db.Model):
    """One working range of one team member on one weekday (0 = Monday)."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts_minute >= 0 AND ends_minute <= 1440 AND starts_minute < ends_minute", name="order"),
    )

    team_member_id: Mapped[int] = mapped_column(ForeignKey("team_members.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    starts_minute: Mapped[int]
    ends_minute: Mapped[int]

    team_member: Mapped[TeamMember] = relationship()


class ScheduleException(IdKey, db.Model):
    """A date on which a member works other hours: one row per range, or one row with no
    times for "off that day". The exclusion constraint treats an "off" row as the whole day,
    so it never stands beside ranges of the same date."""

    __tablename__ = "schedule_exceptions"
    __table_args__ = (
        CheckConstraint("(starts_minute IS NULL) = (ends_minute IS NULL)", name="both_or_neither"),
        CheckConstraint(
            "starts_minute IS NULL OR (starts_minute >= 0 AND ends_minute <= 1440 AND starts_minute < ends_minute)",
            name="order",
        ),
    )

    team_member_id: Mapped[int] = mapped_column(ForeignKey("team_members.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    starts_minute: Mapped[int | None]
    ends_minute: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(200), default="")

    team_member: Mapped[TeamMember] = relationship()

    @property
    def is_off(self) -> bool:
        return self.starts_minute is None


class TimeOff(IdKey, db.Model):
    """Time off of one member: whole local days (``starts_on``..``ends_on``, both included) or a
    part of a day (``starts_at``..``ends_at``, UTC). Exactly one of the two pairs is set."""

    __tablename__ = "time_off"
    __table_args__ = (
        one_of("kind", TimeOffKind),
        CheckConstraint(
            "(starts_on IS NOT NULL AND ends_on IS NOT NULL AND starts_at IS NULL AND ends_at IS NULL "
            "AND ends_on >= starts_on) OR "
            "(starts_on IS NULL AND ends_on IS NULL AND starts_at IS NOT NULL AND ends_at IS NOT NULL "
            "AND ends_at > starts_at)",
            name="days_or_times",
        ),
    )

    team_member_id: Mapped[int] = mapped_column(ForeignKey("team_members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=TimeOffKind.HOLIDAY)
    reason: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]

    team_member: Mapped[TeamMember] = relationship()

    @property
    def whole_days(self) -> bool:
        return self.starts_on is not None


class ConnectionStatus(enum.StrEnum):
    OK = "ok"
    BROKEN = "broken"


class CalendarConnection(IdKey, db.Model):
    """A team member's CalDAV calendar (docs/calendar-sync.md): one per member. The password is
    kept Fernet-encrypted; ``status`` says whether the last attempt reached the calendar."""

    __tablename__ = "calendar_connections"
    __table_args__ = (one_of("status", ConnectionStatus),)

    team_member_id: Mapped[int] = mapped_column(ForeignKey("team_members.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(200))
    password_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ConnectionStatus.OK)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]

    team_member: Mapped[TeamMember] = relationship()


class ExternalBusyTime(IdKey, db.Model):
    """A busy time read from a member's own calendar: it blocks them like part-day time off."""

    __tablename__ = "external_busy_times"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="order"),)

    connection_id: Mapped[int] = mapped_column(ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True)
    team_member_id: Mapped[int] = mapped_column(ForeignKey("team_members.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    uid: Mapped[str] = mapped_column(String(300))


class PushedEvent(IdKey, db.Model):
    """A booking written into a member's calendar as an event, so a change updates it and a
    cancellation deletes it. ``starts_at``/``ends_at``/``summary`` as last written."""

    __tablename__ = "calendar_pushed_events"
    __table_args__ = (UniqueConstraint("connection_id", "booking_id"),)

    connection_id: Mapped[int] = mapped_column(ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(300))
    etag: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(String(300), default="")


__all__ = [
    "TIME_OFF_LABELS",
    "CalendarConnection",
    "ConnectionStatus",
    "ExternalBusyTime",
    "PushedEvent",
    "ScheduleException",
    "TimeOff",
    "TimeOffKind",
    "WorkingHours",
]
