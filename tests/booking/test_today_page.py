"""The front desk's Today page (issue 45, item 3): the day's agenda, arrivals due, takings so far
for owners and managers only, unread messages and requests waiting, and the week against last
week; a practitioner sees their own bookings only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from app.booking.models import BookingStatus
from app.booking.requests import PENDING
from app.messages.models import BookingMessage, Side
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from tests.booking.helpers import book, future_slot
from tests.venues.staff_world import build_world


def soon(venue) -> datetime:
    """A start an hour from now, or ten minutes ago when an hour from now is tomorrow already."""
    now = datetime.now(UTC)
    zone = venue_zone(venue)
    later = now + timedelta(hours=1)
    return later if later.astimezone(zone).date() == now.astimezone(zone).date() else now - timedelta(minutes=10)


@pytest.fixture
def world(ctx, make_user, customer):
    """The staff world with its two bookings moved to today (one for each team member)."""
    found = build_world(make_user, customer)
    start = soon(found.venue)
    for booking in (found.own_booking, found.others_booking):
        booking.shift(start - booking.starts_at)
    db.session.commit()
    return found


def page_of(web, person) -> str:
    web.sign_in_as(person)
    response = web.get("/provider/today")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def agenda(page: str) -> str:
    return page[page.index('id="today-agenda"') :]


def test_the_owner_sees_the_agenda_arrivals_and_takings(web, world):
    page = page_of(web, world.people["owner"])
    today = agenda(page)
    assert f"/provider/bookings/{world.own_booking.id}" in today
    assert f"/provider/bookings/{world.others_booking.id}" in today
    assert "data-arrivals-count>2<" in page
    assert "data-takings" in page and "Takings so far" in page


def test_a_manager_sees_takings_and_a_receptionist_does_not(web, world):
    assert "data-takings" in page_of(web, world.people["manager"])
    receptionist = page_of(web, world.people["receptionist"])
    assert "data-takings" not in receptionist and "Takings so far" not in receptionist
    assert f"/provider/bookings/{world.others_booking.id}" in agenda(receptionist)


def test_a_practitioner_sees_their_own_bookings_only(web, world):
    page = page_of(web, world.people["practitioner"])
    assert "data-takings" not in page
    assert f"/provider/bookings/{world.own_booking.id}" in agenda(page)
    assert f"/provider/bookings/{world.others_booking.id}" not in page
    assert "data-arrivals-count>1<" in page


def test_an_arrived_client_is_no_longer_due_and_shows_as_arrived(web, world):
    world.own_booking.checked_in_at = datetime.now(UTC)
    db.session.commit()
    page = page_of(web, world.people["owner"])
    assert "data-arrivals-count>1<" in page and "Arrived" in agenda(page)


def test_unread_messages_and_requests_waiting_are_counted(web, world, customer):
    db.session.add(
        BookingMessage(
            booking_id=world.own_booking.id, sender_user_id=customer.id, sender_side=Side.CUSTOMER, body="Hi"
        )
    )
    request = book(customer, world.own_booking.service, future_slot(days=6, hour=10))
    request.request_state = PENDING
    db.session.commit()
    page = page_of(web, world.people["owner"])
    assert "data-unread>1<" in page and "data-requests>1<" in page


def test_this_week_is_set_against_last_week(web, world):
    last_week = world.others_booking
    last_week.shift(timedelta(days=-7))
    last_week.status = BookingStatus.COMPLETED
    db.session.commit()
    page = page_of(web, world.people["owner"])
    week = page[page.index("data-week") :]
    assert "1 last week" in week[:600]


def test_another_venues_bookings_never_show(web, world, make_user):
    other_owner = world.people["other_owner"]
    page = page_of(web, other_owner)
    assert f"/provider/bookings/{world.own_booking.id}" not in page
    assert "Nothing booked today." in page


def test_the_page_reads_a_fixed_number_of_statements(web, world, customer):
    for n, hour in enumerate((9, 11, 13), start=1):  # earlier today, apart from each other
        extra = book(customer, world.own_booking.service, future_slot(days=4, hour=hour))
        extra.shift(soon(world.venue) - timedelta(minutes=70 * n) - extra.starts_at)
    db.session.commit()
    web.sign_in_as(world.people["owner"])
    web.get("/provider/today")  # warm the caches a first request fills
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert web.get("/provider/today").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 14, statements  # 12 today, with five bookings; one per booking would be 17
