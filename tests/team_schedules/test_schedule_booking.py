"""Booking honours team members' schedules end to end: the cart refuses a member who is off,
checkout's "any team member" picks someone working, and the booking page offers no time of a
member who is away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.booking import cart
from app.booking.errors import CartItemInvalid
from app.notifications import confirmations
from app.platform.extensions import db
from app.team_schedules.models import TimeOff, WorkingHours
from tests.booking.helpers import book, book_path, future_slot, make_bookable_venue

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _confirmations_without_customer_pages(app, monkeypatch):
    if "booking.my_bookings" not in app.view_functions:
        monkeypatch.setattr(confirmations, "send_confirmation", lambda order: None)


@pytest.fixture
def salon(ctx, provider):
    venue, service = make_bookable_venue(provider, team=2)
    anna = venue.team[0]
    start = future_slot(days=3, hour=10)
    day = start.astimezone(LONDON).date()
    db.session.add(TimeOff(team_member_id=anna.id, kind="holiday", reason="", starts_on=day, ends_on=day))
    db.session.flush()
    return venue, service, start


def test_a_member_on_holiday_cannot_be_chosen(salon, customer):
    venue, service, start = salon
    anna = venue.team[0]
    with pytest.raises(CartItemInvalid, match="no longer free"):
        cart.add_item(
            cart.CartOwner(user_id=customer.id),
            service_id=service.id,
            starts_at=start,
            quantity=1,
            team_member_id=anna.id,
        )


def test_any_team_member_books_the_one_who_works(salon, customer):
    venue, service, start = salon
    _anna, ben = venue.team
    booking = book(customer, service, start)
    assert booking.team_member_id == ben.id


def test_nobody_working_means_no_time_on_the_booking_page(web, salon):
    venue, service, start = salon
    _anna, ben = venue.team
    day = start.astimezone(LONDON).date()
    # Anna is on holiday that day; Ben works one other weekday only.
    db.session.add(
        WorkingHours(team_member_id=ben.id, weekday=(day.weekday() + 3) % 7, starts_minute=600, ends_minute=660)
    )
    db.session.flush()
    page = web.get(book_path(venue, service, day=day.isoformat())).get_data(as_text=True)
    assert "10:00" not in page and "09:00" not in page
    other = day + timedelta(days=1)
    assert datetime.now(UTC).date() < other
    page = web.get(book_path(venue, service, day=other.isoformat())).get_data(as_text=True)
    assert "09:00" in page  # Anna is back
