"""Tips: after a visit, the customer may thank the team member (or the venue) with money.

A tip is an order without bookings (like a gift voucher purchase, app/vouchers/purchase.py)
with a ``tips`` row beside it: the booking it thanks for, who it is for, the amount. It is paid
through the same gateway path; ``paid_at`` is set once, when the order is paid. The whole tip is
the venue's: no commission (app/payouts/shares.py). docs/tips.md."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.booking.models import Booking, Order
from app.platform.columns import CreatedAt, Currency, IdKey
from app.platform.extensions import db
from app.venues.models import TeamMember


class Tip(IdKey, db.Model):
    __tablename__ = "tips"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    # Who it thanks: the booking's team member, or None (the venue as a whole); the name as it
    # was, so earnings still say whom after the member leaves the team.
    team_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    team_member_name: Mapped[str | None] = mapped_column(String(120))
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[Currency]
    created_at: Mapped[CreatedAt]
    # Set once, by the order_paid receiver (app/tips/service.py), when the order is paid.
    paid_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(backref=backref("tip", uselist=False, lazy="select"))
    booking: Mapped[Booking] = relationship()
    team_member: Mapped[TeamMember | None] = relationship()
