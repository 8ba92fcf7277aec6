"""Check-in at the front desk (app/booking/views/check_in.py): a scanned or typed booking code checks in
one of this venue's confirmed bookings for today; anything else is refused with the reason."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.booking.models import Booking, BookingStatus
from app.booking.views.check_in import CheckInRefused, check_in, normalise_code
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue

PAGE = "/provider/check-in"
HTMX = {"HX-Request": "true"}
LONDON = ZoneInfo("Europe/London")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def move_to_today(booking: Booking, *, local: time = time(0, 30)) -> Booking:
    """Put the appointment at ``local`` today in London (bookings can't be made in the past)."""
    length, buffer = booking.ends_at - booking.starts_at, booking.blocks_until - booking.ends_at
    today = datetime.now(UTC).astimezone(LONDON).date()
    booking.starts_at = datetime.combine(today, local, tzinfo=LONDON).astimezone(UTC)
    booking.ends_at = booking.starts_at + length
    booking.blocks_until = booking.ends_at + buffer
    db.session.flush()
    return booking


@pytest.fixture
def salon(ctx, provider):
    return make_bookable_venue(provider)


@pytest.fixture
def todays(salon, customer):
    _venue, service = salon
    return move_to_today(book(customer, service, future_slot(days=3, hour=10)))


@pytest.fixture
def desk(web, provider):
    web.sign_in_as(provider)
    return web


# -- codes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["CW-7K4P-Q2MX", "cw-7k4p-q2mx", " 7K4P Q2MX ", "CW7K4PQ2MX", "7k4p-q2mx"])
def test_a_code_is_read_however_it_was_typed(raw):
    assert normalise_code(raw) == "CW-7K4P-Q2MX"


@pytest.mark.parametrize(
    "raw", ["", "hello", "CW-7K4P-Q2M", "CW-0K4P-Q2MX", "https://evil.example/CW-7K4P-Q2MX", "CW-" + "A" * 200]
)
def test_what_cannot_be_a_code_is_refused_as_such(raw):
    with pytest.raises(CheckInRefused, match="isn't a CozyWish booking code"):
        normalise_code(raw)


# -- checking in --------------------------------------------------------------------------------


def test_the_desk_checks_in_todays_booking_by_its_code(desk, todays):
    response = desk.post(PAGE, {"code": todays.reference.lower()}, headers=HTMX)
    assert response.status_code == 200
    toast = json.loads(response.headers["HX-Trigger"])["cw:toast"][0]
    assert toast["category"] == "success" and toast["message"].startswith("Checked in Chloe Customer: Deep tissue")
    body = text(response)
    assert "Checked in:" in body and todays.reference in body
    db.session.expire_all()
    checked = db.session.get(Booking, todays.id)
    assert checked.checked_in_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.check_in"))
    assert entry.subject_id == todays.id and entry.data["reference"] == todays.reference

    # The calendar shows it; the page lists it under "Checked in today".
    calendar = text(desk.get(f"/provider/calendar?date={todays.starts_at.astimezone(LONDON).date()}"))
    event = re.search(rf'<li [^>]*data-booking-id="{todays.id}"[^>]*>.*?</li>', calendar, re.S).group(0)
    assert "Arrived" in event and "cal-tone-arrived" in event  # checked in: the card says "arrived"
    page = text(desk.get(PAGE))
    assert "Checked in today" in page and "Nobody yet" not in page and "Chloe Customer" in page


def test_checking_in_twice_says_when_it_happened_and_changes_nothing(desk, todays):
    desk.post(PAGE, {"code": todays.reference})
    db.session.expire_all()
    first = db.session.get(Booking, todays.id).checked_in_at
    again = desk.post(PAGE, {"code": todays.reference}, headers=HTMX)
    assert again.status_code == 200
    toast = json.loads(again.headers["HX-Trigger"])["cw:toast"][0]
    assert toast["category"] == "info" and "was already checked in at" in toast["message"]
    db.session.expire_all()
    assert db.session.get(Booking, todays.id).checked_in_at == first
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "booking.check_in")).all()) == 1


def refused(desk, code) -> str:
    response = desk.post(PAGE, {"code": code})
    assert response.status_code == 422
    return text(response)


def test_another_venues_code_is_refused(desk, todays, make_user, customer):
    _venue, service = make_bookable_venue(make_user(role="provider"), name="Rival Rooms")
    theirs = move_to_today(book(customer, service, future_slot(days=4, hour=11)))
    body = refused(desk, theirs.reference)
    assert f"{theirs.reference} is a booking at another venue, not at Calm Rooms." in body
    assert "Rival Rooms" not in body  # says nothing about the other venue
    db.session.expire_all()
    assert db.session.get(Booking, theirs.id).checked_in_at is None


def test_another_days_code_is_refused_with_its_day(desk, salon, customer):
    _venue, service = salon
    later = book(customer, service, future_slot(days=3, hour=10))
    body = refused(desk, later.reference)
    day = later.starts_at.astimezone(LONDON).date()
    assert re.search(rf"{later.reference} is for \w+ {day.day} \w+.*, not today\.", body)


def test_a_cancelled_booking_is_refused(desk, todays):
    todays.status = BookingStatus.CANCELLED_BY_CUSTOMER
    db.session.flush()
    assert f"{todays.reference} was cancelled" in refused(desk, todays.reference)


def test_an_unknown_or_unreadable_code_is_refused(desk, todays):
    assert "No booking has the code CW-2222-2222." in refused(desk, "CW-2222-2222")
    body = refused(desk, "<script>alert(1)</script>")
    assert "isn't a CozyWish booking code" in body
    assert 'value="&lt;script&gt;' in desk.post(PAGE, {"code": "<script>"}).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Booking, todays.id).checked_in_at is None


def test_a_held_booking_is_not_checked_in(ctx, salon, customer, provider):
    venue, service = salon
    held = move_to_today(book(customer, service, future_slot(days=3, hour=10), confirm=False))
    with pytest.raises(CheckInRefused, match="isn't confirmed"):
        check_in(venue, held.reference, actor_id=provider.id)


def test_the_venues_day_decides_what_today_is(ctx, salon, customer, provider):
    venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    local_day = booking.starts_at.astimezone(LONDON).date()
    late_evening_before = datetime.combine(local_day - timedelta(days=1), time(23, 30), tzinfo=LONDON)
    with pytest.raises(CheckInRefused, match="not today"):
        check_in(venue, booking.reference, actor_id=provider.id, now=late_evening_before.astimezone(UTC))
    morning = datetime.combine(local_day, time(8, 0), tzinfo=LONDON).astimezone(UTC)
    checked, fresh = check_in(venue, booking.reference, actor_id=provider.id, now=morning)
    assert fresh and checked.checked_in_at == morning


# -- who may, and the page's own policies ---------------------------------------------------------


def test_only_the_venues_provider_uses_the_desk(web, client, customer, todays):
    assert client.get(PAGE).status_code == 302  # to sign in
    web.sign_in_as(customer)
    assert web.get(PAGE).status_code in (403, 404)
    assert web.post(PAGE, {"code": todays.reference}).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Booking, todays.id).checked_in_at is None


def test_checking_in_needs_the_form_token(client, provider, todays):
    from tests.conftest import Browser

    desk = Browser(client)
    desk.sign_in_as(provider)
    assert client.post(PAGE, data={"code": todays.reference}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Booking, todays.id).checked_in_at is None


def test_only_the_check_in_page_may_use_the_camera(desk, salon):
    page = desk.get(PAGE)
    assert "camera=(self)" in page.headers["Permissions-Policy"]
    assert "worker-src 'self' blob:" in page.headers["Content-Security-Policy"]
    assert "vendor/qr-scanner/qr-scanner" in page.get_data(as_text=True)
    calendar = desk.get("/provider/calendar")
    assert "camera=()" in calendar.headers["Permissions-Policy"]
    assert "blob:" not in calendar.headers["Content-Security-Policy"].split("worker-src")[-1] or (
        "worker-src" not in calendar.headers["Content-Security-Policy"]
    )
    assert "qr-scanner" not in calendar.get_data(as_text=True)
    assert 'href="/provider/check-in"' in calendar.get_data(as_text=True)


def test_the_customers_code_is_a_full_qr_code_that_phone_cameras_read(ctx, todays):
    """segno picks a Micro QR for short text, which camera scanners (ours included) can't read."""
    from app.booking.views.my_bookings import check_in_code

    svg = str(check_in_code(todays.reference))
    width = int(re.search(r'width="(\d+)"', svg).group(1))
    assert width >= (21 + 8) * 4  # at least a version 1 QR code (21 modules) with its quiet zone
