"""Waitlist entries and the offers made to them.

An entry is one customer waiting for one service on one venue-local day, optionally within a
window of that day and with one team member. Its place in line is (created_at, id): first
come, first offered. An offer is a concrete time made free for that entry; it holds the time
with an ordinary held order (the same held bookings checkout makes), so the slot engine, the
service's capacity check and the team member exclusion constraint all see it. The database
keeps one open offer per time and per entry (partial unique indexes), and one live entry per
customer, service and day.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.booking.models import Order
from app.platform.columns import CreatedAt, IdKey, one_of
from app.platform.extensions import db
from app.venues.models import Service, TeamMember, Venue


class EntryStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # an open offer holds a time for this entry now
    BOOKED = "booked"  # the customer took an offer
    LEFT = "left"  # the customer left the waitlist
    EXPIRED = "expired"  # the day passed


LIVE_ENTRY_STATUSES = (EntryStatus.WAITING, EntryStatus.OFFERED)


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    LAPSED = "lapsed"  # nobody answered in time, or the hold ended another way
    DECLINED = "declined"  # "No thanks" (or the customer left the waitlist)


class WaitlistEntry(IdKey, db.Model):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        one_of("status", EntryStatus),
        CheckConstraint(
            "(window_start_minute IS NULL AND window_end_minute IS NULL) OR "
            "(window_start_minute >= 0 AND window_end_minute <= 1440 AND window_start_minute < window_end_minute)",
            name="window_valid",
        ),
        # One live entry per customer, service and day: joining twice is refused.
        Index(
            "uq_waitlist_entries_live",
            "customer_id",
            "service_id",
            "day",
            unique=True,
            postgresql_where=text("status IN ('waiting', 'offered')"),
        ),
        # The line of one service on one day, in order.
        Index("ix_waitlist_entries_line", "venue_id", "day", "service_id", "created_at", "id"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    day: Mapped[date]  # the venue's local date
    # Minutes after local midnight: the appointment must fit between them (None: any time).
    window_start_minute: Mapped[int | None]
    window_end_minute: Mapped[int | None]
    team_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=EntryStatus.WAITING)
    created_at: Mapped[CreatedAt]
    ended_at: Mapped[datetime | None]

    customer: Mapped[User] = relationship()
    venue: Mapped[Venue] = relationship()
    service: Mapped[Service] = relationship()
    team_member: Mapped[TeamMember | None] = relationship()


class WaitlistOffer(IdKey, db.Model):
    __tablename__ = "waitlist_offers"
    __table_args__ = (
        one_of("status", OfferStatus),
        CheckConstraint("ends_at > starts_at", name="time_order"),
        # One open offer per freed time (a service's start, with its team member or none).
        Index(
            "uq_waitlist_offers_open_time",
            "service_id",
            "starts_at",
            text("coalesce(team_member_id, 0)"),
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
        # One open offer per entry at a time.
        Index("uq_waitlist_offers_open_entry", "entry_id", unique=True, postgresql_where=text("status = 'open'")),
    )

    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)  # the hold
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    team_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default=OfferStatus.OPEN)
    created_at: Mapped[CreatedAt]
    closed_at: Mapped[datetime | None]

    entry: Mapped[WaitlistEntry] = relationship()
    order: Mapped[Order] = relationship()
    service: Mapped[Service] = relationship()
    team_member: Mapped[TeamMember | None] = relationship()
