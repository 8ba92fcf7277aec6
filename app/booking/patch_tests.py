"""The patch-test rule: a service that needs a patch test (``Service.patch_test_service_id``) is
booked only by a customer who has the patch test at least ``patch_test_min_hours`` before it:
a paid booking of it (confirmed or completed, not cancelled) at the venue, or the patch test in
the same cart at a time that is early enough. Checked when the treatment is added to the cart
and again at checkout."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.booking.errors import CartItemInvalid
from app.booking.models import Booking, BookingStatus, CartItem
from app.extensions import db
from app.venues.models import Service

PAID_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


def latest_patch_test_start(service: Service, starts_at: datetime) -> datetime:
    return starts_at - timedelta(hours=service.patch_test_min_hours)


def has_patch_test_booking(customer_id: int | None, service: Service, starts_at: datetime) -> bool:
    if customer_id is None or service.patch_test_service_id is None:
        return False
    found = db.session.scalar(
        select(Booking.id)
        .where(
            Booking.customer_id == customer_id,
            Booking.service_id == service.patch_test_service_id,
            Booking.venue_id == service.venue_id,
            Booking.status.in_(PAID_STATUSES),
            Booking.starts_at <= latest_patch_test_start(service, starts_at),
        )
        .limit(1)
    )
    return found is not None


def check_patch_test(
    service: Service, starts_at: datetime, *, customer_id: int | None, cart: Iterable[CartItem]
) -> None:
    """CartItemInvalid saying what to book first, unless the patch-test rule is met."""
    if service.patch_test_service_id is None:
        return
    latest = latest_patch_test_start(service, starts_at)
    if any(item.service_id == service.patch_test_service_id and item.starts_at <= latest for item in cart):
        return
    if has_patch_test_booking(customer_id, service, starts_at):
        return
    patch = db.session.get(Service, service.patch_test_service_id)
    raise CartItemInvalid(
        _(
            "%(service)s needs a patch test (%(patch)s) at least %(hours)s hours before. "
            "Book the patch test first, at an earlier time, then this treatment.",
            service=service.name,
            patch=patch.name if patch else _("patch test"),
            hours=service.patch_test_min_hours,
        )
    )
