"""Calendar files: built with icalendar, one UID per booking for life, a SEQUENCE that only
grows, and a cancellation that calendars apply to the entry they already have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from app.booking import lifecycle
from app.booking.ics import calendar
from app.booking.models import BookingStatus
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue


@pytest.fixture
def booking(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    return book(customer, service, future_slot(days=5))


def parsed(text: str) -> tuple[Calendar, list]:
    cal = Calendar.from_ical(text)
    return cal, list(cal.walk("VEVENT"))


def mails(outbox, to: str, subject: str) -> list:
    return [m for m in outbox if m.to == [to] and m.subject.startswith(subject)]


def test_a_booking_file_has_utc_instants_a_stable_uid_and_sequence_zero(booking):
    first, events = parsed(calendar([booking], name="CozyWish booking"))
    _again, events_again = parsed(calendar([booking], name="CozyWish booking"))
    assert first["METHOD"] == "PUBLISH" and first["PRODID"] == "-//CozyWish//Bookings//EN"
    (event,) = events
    assert event.start == booking.starts_at and event.end == booking.ends_at
    assert event.start.tzinfo is not None and event.start.utcoffset() == timedelta(0)
    assert str(event["UID"]) == f"{booking.reference}@cozywish" == str(events_again[0]["UID"])
    assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"
    assert str(event["ORGANIZER"]).startswith("mailto:")


def test_text_with_commas_semicolons_and_new_lines_survives_the_round_trip(booking):
    booking.service.name = "Hot stones; back, neck\nand shoulders — 90′"
    booking.venue.name = "Calm, Rooms"
    db.session.flush()
    cal, (event,) = parsed(calendar([booking], name="A; name, with\nbreaks"))
    assert str(cal["X-WR-CALNAME"]) == "A; name, with breaks"
    assert str(event["SUMMARY"]) == "Hot stones; back, neck\nand shoulders — 90′"
    assert str(event["LOCATION"]).startswith("Calm, Rooms")


def test_a_cancellation_email_cancels_the_same_entry_with_a_higher_sequence(booking, customer, run_jobs, outbox):
    run_jobs()
    (confirmation,) = mails(outbox, customer.email, "Booked")
    _cal, (booked,) = parsed(confirmation.attachments[0][1])

    lifecycle.cancel_by_customer(booking, customer=customer)
    db.session.flush()
    run_jobs()

    for to in (customer.email, booking.venue.owner.email):
        mail = mails(outbox, to, "Cancelled")[-1]
        cal, (cancelled,) = parsed(mail.attachments[0][1])
        assert cal["METHOD"] == "CANCEL"
        assert cancelled["STATUS"] == "CANCELLED"
        assert str(cancelled["UID"]) == str(booked["UID"])
        assert cancelled["SEQUENCE"] > booked["SEQUENCE"]
        assert cancelled.start == booking.starts_at and cancelled.end == booking.ends_at


def test_the_sequence_follows_the_bookings_revision(booking, customer):
    booking.calendar_sequence = 2  # as a reschedule would leave it
    db.session.flush()
    _cal, (event,) = parsed(calendar([booking], name="CozyWish booking"))
    assert event["SEQUENCE"] == 2
    lifecycle.cancel_by_customer(booking, customer=customer)
    _cal, (event,) = parsed(calendar([booking], name="CozyWish booking"))
    assert event["SEQUENCE"] == 3


def test_the_download_of_a_cancelled_booking_is_a_cancellation(web, booking, customer):
    lifecycle.cancel_by_customer(booking, customer=customer)
    db.session.commit()
    web.sign_in_as(customer)
    response = web.get(f"/bookings/{booking.reference}/calendar.ics")
    assert response.status_code == 200
    cal, (event,) = parsed(response.get_data(as_text=True))
    assert cal["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1


def test_the_provider_feed_publishes_cancelled_entries_without_cancelling_the_calendar(web, app, provider, booking):
    lifecycle.cancel_by_venue(booking, actor=provider, reason="Therapist ill")
    assert booking.status == BookingStatus.CANCELLED_BY_VENUE
    db.session.commit()
    web.sign_in_as(provider)
    assert web.post("/provider/calendar/feed").status_code == 302
    db.session.refresh(booking.venue)
    body = app.test_client().get(f"/calendar/{booking.venue.calendar_token}.ics").get_data(as_text=True)
    cal, events = parsed(body)
    assert cal["METHOD"] == "PUBLISH"
    (event,) = [e for e in events if str(e["UID"]) == f"{booking.reference}@cozywish"]
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1
    assert booking.customer.name in str(event["SUMMARY"])


def test_a_file_stamps_now_in_utc(booking):
    before = datetime.now(UTC).replace(microsecond=0)
    _cal, (event,) = parsed(calendar([booking], name="CozyWish booking"))
    assert before <= event["DTSTAMP"].dt <= datetime.now(UTC)
