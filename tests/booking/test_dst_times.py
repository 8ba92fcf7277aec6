"""Times on the nights the clocks change, walked through every place a customer reads them.

For London, New York and Sydney, on the next fall-back and spring-forward day: the booking
page offers the right times with labels that tell them apart, a booking made through the
pages reads the same on its page, My bookings, the order page, the provider's calendar,
the admin's order page and the confirmation email, and its calendar files (the email's and
the download) carry exactly the booking's UTC instants.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from app.booking.availability import get_slots
from app.platform.extensions import db
from app.platform.timefmt import clocks_change_on
from app.venues.hours import Range
from app.venues.service import set_day_hours
from tests.booking.helpers import book_path, make_bookable_venue
from tests.booking.test_booking_pages import book_and_confirm
from tests.conftest import Browser, IsolatedClient

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney"]
SLOT_LINK = re.compile(r'<li><a class="btn [^"]*" href="([^"]+)"[^>]*>([^<]+)<span class="visually-hidden">')


def next_change(zone: ZoneInfo, after: date, *, forward: bool) -> date:
    """The next day after ``after`` on which the zone's clocks go forward (or back)."""
    for offset in range(1, 400):
        day = after + timedelta(days=offset)
        if clocks_change_on(day, zone):
            start = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).utcoffset()
            if (end > start) == forward:
                return day
    raise AssertionError(f"{zone.key} has no clock change within 400 days")


def local_label(moment: datetime, zone: ZoneInfo) -> str:
    """How a time on a clock-change day must read, worked out here from zoneinfo alone."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}"


def wall(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%H:%M}"


def offset(moment: datetime, zone: ZoneInfo) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


def offered(web, venue, service, day: date) -> tuple[list[tuple[datetime, str]], str]:
    """(start, label) of each time the booking page offers on ``day``, and the page."""
    page = unescape(web.get(book_path(venue, service, day=day.isoformat())).get_data(as_text=True))
    slots = []
    for href, label in SLOT_LINK.findall(page):
        start = parse_qs(urlsplit(href).query)["start"][0]
        slots.append((datetime.fromisoformat(start.replace("Z", "+00:00")), label.strip()))
    return slots, page


def read(response) -> str:
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def events_of(ics_text: str) -> list:
    return list(Calendar.from_ical(ics_text).walk("VEVENT"))


@pytest.fixture
def long_horizon(app, monkeypatch):
    """Book up to 400 days ahead, so next year's clock changes are bookable today."""
    monkeypatch.setitem(app.config, "BOOKING_MAX_ADVANCE_DAYS", 400)


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("kind", ["fall_back", "spring_forward"])
def test_a_clock_change_day_reads_the_same_on_pages_email_and_calendar_files(
    app, ctx, web, provider, customer, admin, run_jobs, outbox, long_horizon, tz, kind
):
    zone = ZoneInfo(tz)
    day = next_change(zone, datetime.now(UTC).astimezone(zone).date(), forward=kind == "spring_forward")
    venue, service = make_bookable_venue(provider, tz=tz)  # one 60-minute service
    set_day_hours(venue, day.weekday(), [Range(0, 6 * 60)])  # open 00:00-06:00 local
    db.session.flush()

    # -- the booking page: the engine's times, each labelled with its own offset ---------------
    slots, page = offered(web, venue, service, day)
    engine = get_slots(service, day, now=datetime.now(UTC))
    assert [start for start, _ in slots] == [s.start for s in engine]
    assert [label for _, label in slots] == [local_label(s.start, zone) for s in engine]
    labels = [label for _, label in slots]
    assert len(set(labels)) == len(labels), "two offered times read the same"
    wall_clocks = [label.split()[0] for label in labels]
    if kind == "fall_back":
        assert "Clocks go back an hour on this day" in page
        repeated = {clock for clock in wall_clocks if wall_clocks.count(clock) == 2}
        assert len(repeated) == 4  # the repeated hour's four quarter-hours, offered twice each
        for clock in repeated:
            assert {label for label in labels if label.startswith(clock)} == {
                local_label(datetime.combine(day, time.fromisoformat(clock), tzinfo=zone), zone),
                local_label(datetime.combine(day, time.fromisoformat(clock), tzinfo=zone).replace(fold=1), zone),
            }
        # The case of the bug report: a 60-minute booking whose end reads like its start.
        start = next(s.start for s in engine if wall(s.start, zone) == wall(s.end, zone))
    else:
        assert "Clocks go forward an hour on this day" in page
        for clock in wall_clocks:  # no offered time is one the clocks skip
            local = datetime.combine(day, time.fromisoformat(clock), tzinfo=zone)
            assert local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)
        # A booking that starts before the jump and ends after it.
        start = next(s.start for s in engine if offset(s.start, zone) != offset(s.end, zone))

    # -- book it through the pages ------------------------------------------------------------
    booking = book_and_confirm(web, customer, service, start)
    assert booking.starts_at == start and booking.ends_at == start + timedelta(minutes=60)
    span = f"{local_label(booking.starts_at, zone)}–{local_label(booking.ends_at, zone)}"
    assert span.split("–")[0] != span.split("–")[1]

    detail = read(web.get(f"/bookings/{booking.reference}"))
    assert span in detail and tz in detail
    assert span in read(web.get("/bookings"))
    assert span in read(web.get(f"/orders/{booking.order_id}"))

    owner = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    owner.sign_in_as(provider)
    assert span in read(owner.get(f"/provider/calendar?view=day&date={day.isoformat()}"))
    admin_web = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    admin_web.sign_in_as(admin)
    assert span in read(admin_web.get(f"/admin/orders/{booking.order_id}"))

    # -- the confirmation email and its calendar file ---------------------------------------------
    run_jobs()
    email = [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Booked")][-1]
    assert span in email.body and tz in email.body
    assert span in unescape(email.alternatives[0][0])
    attached = events_of(email.attachments[0][1])
    downloaded = events_of(read(web.get(f"/bookings/{booking.reference}/calendar.ics")))
    for event in (*attached, *downloaded):
        assert event.start == booking.starts_at and event.end == booking.ends_at
        assert str(event["UID"]) == f"{booking.reference}@cozywish"
        assert span in str(event["DESCRIPTION"])  # the same words as the page and the email


def test_an_ordinary_day_keeps_plain_times(ctx, web, provider, long_horizon):
    zone = ZoneInfo("Europe/London")
    change = next_change(zone, datetime.now(UTC).astimezone(zone).date(), forward=False)
    day = change + timedelta(days=2)
    venue, service = make_bookable_venue(provider)
    slots, page = offered(web, venue, service, day)
    assert slots and all(re.fullmatch(r"\d\d:\d\d", label) for _, label in slots)
    assert "Clocks go" not in page
