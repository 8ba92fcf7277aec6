"""The calendar grid marks a request-to-book still waiting for the venue's answer (issue 31)."""

from __future__ import annotations

from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.booking.test_provider_calendar import CALENDAR, event_html, local_day
from tests.booking.test_request_to_book import set_rules


def test_a_pending_request_has_a_badge_until_it_is_answered(web, ctx, provider, customer):
    venue, service = make_bookable_venue(provider)
    set_rules(venue, service, request_to_book=True, request_window_hours=6)
    waiting = book(customer, service, future_slot(days=3, hour=10))
    db.session.commit()
    web.sign_in_as(provider)
    for view in ("day", "week"):
        page = web.get(f"{CALENDAR}?view={view}&date={local_day(waiting.starts_at)}").get_data(as_text=True)
        assert "data-pending-request" in event_html(page, waiting.id), view
        assert "Pending request" in event_html(page, waiting.id)
    assert web.post(f"/provider/bookings/{waiting.id}/accept").status_code in (302, 303)
    page = web.get(f"{CALENDAR}?date={local_day(waiting.starts_at)}").get_data(as_text=True)
    assert "data-pending-request" not in event_html(page, waiting.id)


def test_an_instant_booking_has_no_badge(web, ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    booking = book(customer, service, future_slot(days=3, hour=10))
    web.sign_in_as(provider)
    page = web.get(f"{CALENDAR}?date={local_day(booking.starts_at)}").get_data(as_text=True)
    assert "data-pending-request" not in event_html(page, booking.id)
