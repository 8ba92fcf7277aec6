"""A customer's saved venues: one row per (person, venue), newest first on the Saved page."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from app.booking.models import Booking
from app.platform.columns import CreatedAt
from app.platform.extensions import db


class SavedVenue(db.Model):
    __tablename__ = "saved_venues"
    __table_args__ = (Index("ix_saved_venues_user_id_created_at", "user_id", "created_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[CreatedAt]


# "Trending near you" counts the bookings made in the last days: an index on when they were
# made keeps that a range scan however many bookings there are. Declared here, beside its only
# reader, on the bookings table.
Index("ix_bookings_created_at", Booking.created_at)
