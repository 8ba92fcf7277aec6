"""The owner's notice of a request-to-book says it is a request, by when to accept it, and
links to the Requests page (issue 31, app/notifications/activity.py)."""

from __future__ import annotations

from sqlalchemy import select

from app.notifications.models import Notice
from app.platform.extensions import db
from app.platform.timefmt import moment_label, venue_zone
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.booking.test_request_to_book import set_rules


def notices_of(user) -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id)))


def test_a_request_is_told_as_a_request_with_its_deadline(ctx, provider, customer):
    venue, service = make_bookable_venue(provider)
    set_rules(venue, service, request_to_book=True, request_window_hours=6)
    booking = book(customer, service, future_slot(days=3, hour=10))
    [notice] = [n for n in notices_of(provider) if n.kind == "venue_activity"]
    due = moment_label(booking.request_expires_at, venue_zone(venue))
    assert notice.title == f"New booking request at {venue.name}: accept by {due}"
    assert notice.link == "/provider/requests"


def test_an_instant_booking_is_still_a_new_booking(ctx, provider, customer):
    venue, service = make_bookable_venue(provider)
    booking = book(customer, service, future_slot(days=3, hour=10))
    [notice] = [n for n in notices_of(provider) if n.kind == "venue_activity"]
    assert notice.title.startswith(f"New booking at {venue.name}")
    assert notice.link == f"/provider/bookings/{booking.id}"
