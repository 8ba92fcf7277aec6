"""A venue's client book (``venue_clients``): one row per person who booked at the venue.

A client with an account is linked by ``user_id`` (one row per venue and user); a walk-in or a
phone caller without an account has none. The notes and tags are the venue's private records:
the customer never sees them and no other venue does (every lookup is inside the venue).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.booking.models import Booking
from app.platform.columns import CreatedAt, IdKey
from app.platform.extensions import db


class VenueClient(IdKey, db.Model):
    __tablename__ = "venue_clients"
    __table_args__ = (
        CheckConstraint("blocked_at IS NULL OR block_reason IS NOT NULL", name="block_has_reason"),
        Index(
            "uq_venue_clients_venue_user",
            "venue_id",
            "user_id",
            unique=True,
            postgresql_where=text("user_id IS NOT NULL"),
        ),
        Index("ix_venue_clients_venue_name", "venue_id", text("lower(name)")),
        Index("ix_venue_clients_user", "user_id", postgresql_where=text("user_id IS NOT NULL")),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    birthday: Mapped[date | None]  # optional; the desk may greet them (0077)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list, server_default="{}")
    blocked_at: Mapped[datetime | None]
    block_reason: Mapped[str | None] = mapped_column(String(300))
    # Set when the linked account was deleted: name, email and phone are gone, the visits stay.
    anonymised_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]

    # ``Booking.client`` comes from here (the booking core doesn't import this layer).
    bookings: Mapped[list[Booking]] = relationship(
        Booking, backref=backref("client"), order_by=Booking.starts_at.desc(), viewonly=False
    )

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None
