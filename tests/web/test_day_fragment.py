"""The day's times fragment computes that one day, never the month calendar around it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.web import booking_page
from tests.booking.helpers import book_path, make_bookable_venue

HTMX = {"HX-Request": "true"}


@pytest.fixture
def bookable(ctx, make_user):
    return make_bookable_venue(make_user(role="provider"))


@pytest.fixture
def month_is_forbidden(monkeypatch):
    def no_month(*args, **kwargs):
        raise AssertionError("the month calendar was computed")

    monkeypatch.setattr(booking_page, "get_bookable_days", no_month)


@pytest.mark.parametrize("target", ["booking-slots", "slot-details"])
def test_a_day_fragment_does_not_compute_the_month(web, bookable, month_is_forbidden, target):
    venue, service = bookable
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    response = web.get(book_path(venue, service, day=day.isoformat()), headers={**HTMX, "HX-Target": target})
    assert response.status_code == 200
    assert 'id="booking-calendar"' not in response.get_data(as_text=True)


def test_the_whole_page_and_the_picker_still_show_the_month(web, bookable):
    venue, service = bookable
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    for headers in ({}, {**HTMX, "HX-Target": "booking-picker"}):
        page = web.get(book_path(venue, service, day=day.isoformat()), headers=headers).get_data(as_text=True)
        assert 'id="calendar-heading"' in page and "times free" in page
