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
from app.platform.extensions import db
from app.platform.timefmt import moment_label, venue_zone
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
    raise CartItemInvalid(
        _(
            "%(service)s needs a patch test (%(patch)s) at least %(hours)s hours before. "
            "Book the patch test first, at an earlier time, then this treatment.",
            **_needs(service),
        )
    )


def _needs(service: Service) -> dict[str, object]:
    """What a message about ``service``'s rule names: the treatment, its patch test, the hours between."""
    patch = db.session.get(Service, service.patch_test_service_id)
    return {
        "service": service.name,
        "patch": patch.name if patch else _("patch test"),
        "hours": service.patch_test_min_hours,
    }


def check_move(booking: Booking, service: Service, new_start: datetime) -> None:
    """A move of ``booking`` to ``new_start`` must keep the patch-test rule both ways (a venue's
    move and a customer's alike): a treatment moved earlier still has its patch test early
    enough, and a patch test moved later still comes early enough for each of the customer's
    treatments that rely on it. Raises CartItemInvalid (422) saying which, changing nothing."""
    if booking.customer_id is None:
        return  # a walk-in booked at the desk: the venue checks in person
    if service.patch_test_service_id is not None and not has_patch_test_booking(
        booking.customer_id, service, new_start
    ):
        raise CartItemInvalid(
            _(
                "%(service)s needs a patch test (%(patch)s) at least %(hours)s hours before, so it can't move to "
                "that time. Choose a later time, or move the patch test first.",
                **_needs(service),
            )
        )
    treatments = db.session.scalars(
        select(Booking)
        .join(Service, Service.id == Booking.service_id)
        .where(
            Service.patch_test_service_id == booking.service_id,
            Booking.customer_id == booking.customer_id,
            Booking.venue_id == booking.venue_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.id != booking.id,
        )
    )
    for treatment in treatments:
        latest = latest_patch_test_start(treatment.service, treatment.starts_at)
        if new_start <= latest:
            continue  # the moved patch test is still early enough for it
        others = db.session.scalar(
            select(Booking.id)
            .where(
                Booking.customer_id == booking.customer_id,
                Booking.service_id == booking.service_id,
                Booking.venue_id == booking.venue_id,
                Booking.status.in_(PAID_STATUSES),
                Booking.starts_at <= latest,
                Booking.id != booking.id,
            )
            .limit(1)
        )
        if others is None:
            raise CartItemInvalid(
                _(
                    "%(treatment)s on %(when)s relies on this patch test at least %(hours)s hours before, "
                    "so the patch test can't move to that time. Choose an earlier time.",
                    treatment=treatment.service.name,
                    when=moment_label(treatment.starts_at, venue_zone(treatment.venue)),
                    hours=treatment.service.patch_test_min_hours,
                )
            )
