"""Packages (courses): a venue sells N sessions of one service, valid for a period; a customer
buys one, and each booking of that service it covers costs £0 for the treatment (docs/packages.md).

- ``packages``: what a venue offers (its service, and one option of it or any, the number of
  sessions, how many days they last from the purchase, the price). Switched off, never deleted,
  once sold.
- ``package_holdings``: one customer's bought package: an order without bookings (paid through the
  same checkout as a gift voucher or a tip) with a snapshot of what was bought, so a renamed
  service or a changed offer never changes a package already sold. ``expires_at`` is set when
  the order is paid; ``refunded_at`` when the venue refunded the sessions left. One sold at the
  front desk (``sold_by_id``) is paid at the venue.
- ``package_sessions``: a booking the package covered (``places`` sessions: a booking's
  quantity); ``returned_at`` once a cancellation within the policy gave them back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.booking.models import Booking, Order
from app.platform.columns import CreatedAt, Currency, IdKey
from app.platform.extensions import db
from app.venues.models import Service, ServiceOption, Venue

SESSIONS_RANGE = (2, 50)
VALID_DAYS_RANGE = (7, 1095)  # a week to three years


class Package(IdKey, db.Model):
    __tablename__ = "packages"
    __table_args__ = (
        CheckConstraint(f"sessions BETWEEN {SESSIONS_RANGE[0]} AND {SESSIONS_RANGE[1]}", name="sessions_range"),
        CheckConstraint(f"valid_days BETWEEN {VALID_DAYS_RANGE[0]} AND {VALID_DAYS_RANGE[1]}", name="valid_days_range"),
        CheckConstraint("price_minor > 0", name="price_positive"),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    # One option of the service ("90 min"), or None: any of its options.
    option_id: Mapped[int | None] = mapped_column(ForeignKey("service_options.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    sessions: Mapped[int]
    valid_days: Mapped[int]
    price_minor: Mapped[int]
    currency: Mapped[Currency]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]

    venue: Mapped[Venue] = relationship()
    service: Mapped[Service] = relationship()
    option: Mapped[ServiceOption | None] = relationship()


class PackageHolding(IdKey, db.Model):
    __tablename__ = "package_holdings"
    __table_args__ = (
        CheckConstraint("sessions > 0 AND price_minor > 0 AND refunded_minor >= 0", name="amounts_valid"),
    )

    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id", ondelete="SET NULL"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("service_options.id", ondelete="SET NULL"))
    # What was bought, as it read then.
    name: Mapped[str] = mapped_column(String(120))
    service_name: Mapped[str] = mapped_column(String(120))
    option_name: Mapped[str | None] = mapped_column(String(120))
    venue_name: Mapped[str] = mapped_column(String(160))
    sessions: Mapped[int]
    valid_days: Mapped[int]
    price_minor: Mapped[int]
    currency: Mapped[Currency]
    created_at: Mapped[CreatedAt]
    paid_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # paid_at + valid_days
    refunded_at: Mapped[datetime | None]
    refunded_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    # Sold at the front desk by this member of staff, paid at the venue: no platform payment,
    # no transfer, and a refund is given at the desk too.
    sold_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    order: Mapped[Order] = relationship(backref=backref("package_holding", uselist=False, lazy="select"))
    package: Mapped[Package | None] = relationship()
    venue: Mapped[Venue] = relationship()


class PackageSession(IdKey, db.Model):
    __tablename__ = "package_sessions"
    __table_args__ = (CheckConstraint("places BETWEEN 1 AND 50", name="places_range"),)

    holding_id: Mapped[int] = mapped_column(ForeignKey("package_holdings.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    places: Mapped[int]
    created_at: Mapped[CreatedAt]
    returned_at: Mapped[datetime | None]

    holding: Mapped[PackageHolding] = relationship()
    booking: Mapped[Booking] = relationship()
