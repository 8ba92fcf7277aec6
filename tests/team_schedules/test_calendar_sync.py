"""Two-way CalDAV sync of a team member's calendar (app/team_schedules/calendar_sync.py), against a
real Radicale server started for this module: busy times block slots and bookings, bookings are
written there and removed when cancelled, a broken connection is shown and never blocks booking,
and the password is never stored in plain text."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import caldav
import pytest
from sqlalchemy import select

from app.booking import calendar_events  # noqa: F401  (connects booking's answer, as booking's wiring does)
from app.booking.availability import get_slots
from app.booking.errors import CartItemInvalid
from app.booking.lifecycle import cancel_by_venue
from app.notifications import confirmations
from app.platform.extensions import db
from app.team_schedules.calendar_sync import get_connection, sync_all, sync_connection
from app.team_schedules.models import CalendarConnection, ConnectionStatus, ExternalBusyTime
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.venues.staff_world import make_staff

LONDON = ZoneInfo("Europe/London")
USER, PASSWORD = "anna", "s3cret-pass"
HTMX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    """A Radicale CalDAV server on a free port, one user with a plain htpasswd password."""
    folder = tmp_path_factory.mktemp("radicale")
    users = folder / "users"
    users.write_text(f"{USER}:{PASSWORD}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(folder / "store"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(users),
            "--auth-htpasswd-encryption",
            "plain",
            "--auth-delay",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/{USER}/"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def remote(radicale):
    """A new calendar of its own for this test: (its URL, the caldav Calendar)."""
    client = caldav.DAVClient(radicale, username=USER, password=PASSWORD, require_tls=False, enable_rfc6764=False)
    calendar = client.principal().make_calendar(name="Work", cal_id=uuid.uuid4().hex)
    return str(calendar.url), calendar


@pytest.fixture(autouse=True)
def _setup(app, monkeypatch):
    monkeypatch.setitem(app.config, "CALDAV_ALLOW_PRIVATE_HOSTS", True)  # Radicale listens on 127.0.0.1
    if "booking.my_bookings" not in app.view_functions:
        monkeypatch.setattr(confirmations, "send_confirmation", lambda order: None)


@pytest.fixture
def salon(ctx, provider):
    venue, service = make_bookable_venue(provider, team=1)
    return venue, service, venue.team[0]


def page_of(member) -> str:
    return f"/provider/team/{member.id}/calendar-sync"


def connect_form(url: str, password: str = PASSWORD) -> dict:
    return {"url": url, "username": USER, "password": password}


def test_a_busy_event_blocks_the_slot_and_booking_it(web, salon, provider, customer, remote):
    _venue, service, member = salon
    url, calendar = remote
    start = future_slot(days=3, hour=10)
    calendar.save_event(dtstart=start, dtend=start + timedelta(hours=1), summary="Dentist", uid="dentist-1")
    web.sign_in_as(provider)
    answer = web.post(page_of(member), connect_form(url))  # "Test and save" syncs at once
    assert answer.status_code == 302
    connection = get_connection(member)
    assert connection.status == ConnectionStatus.OK and connection.last_synced_at is not None
    day = start.astimezone(LONDON).date()
    starts = {slot.start for slot in get_slots(service, day)}
    assert start not in starts and start + timedelta(hours=1) in starts
    with pytest.raises(CartItemInvalid):
        book(customer, service, start)
    # An all-day event is the whole local day, read in the venue's zone.
    away = day + timedelta(days=2)
    calendar.save_event(dtstart=away, dtend=away + timedelta(days=1), summary="Wedding", uid="wedding-1")
    assert sync_connection(get_connection(member))
    assert get_slots(service, away) == []
    assert get_slots(service, away + timedelta(days=1))
    assert "Last synced" in web.get(page_of(member)).get_data(as_text=True)


def test_a_booking_is_written_there_and_removed_when_cancelled(web, salon, provider, customer, remote):
    _venue, service, member = salon
    url, calendar = remote
    web.sign_in_as(provider)
    assert web.post(page_of(member), connect_form(url)).status_code == 302
    start = future_slot(days=4, hour=14)
    booking = book(customer, service, start)
    connection = get_connection(member)
    assert sync_connection(connection)
    uid = f"cozywish-booking-{booking.id}@"
    events = [e.icalendar_component for e in calendar.search(event=True)]
    ours = [e for e in events if str(e["uid"]).startswith(uid)]
    assert len(ours) == 1 and ours[0]["dtstart"].dt == start
    # Our own event is not read back as a busy time.
    assert not db.session.scalars(select(ExternalBusyTime).where(ExternalBusyTime.connection_id == connection.id)).all()
    cancel_by_venue(booking, actor=provider, reason="Therapist ill")
    db.session.flush()
    assert sync_connection(connection)
    assert not [e for e in calendar.search(event=True) if str(e.icalendar_component["uid"]).startswith(uid)]


def test_a_wrong_password_shows_broken_and_booking_still_works(web, salon, provider, customer, remote):
    _venue, service, member = salon
    url, _calendar = remote
    web.sign_in_as(provider)
    refused = web.post(page_of(member), connect_form(url, password="wrong"))
    assert refused.status_code == 422
    assert "401 Unauthorized" in refused.get_data(as_text=True)
    assert get_connection(member) is None  # nothing kept
    assert web.post(page_of(member), connect_form(url)).status_code == 302
    # The password changes at the calendar's end later: the next sync marks the connection broken.
    connection = get_connection(member)
    good = connection.password_encrypted
    # A failed re-test keeps the working connection as it was.
    assert web.post(page_of(member), connect_form(url, password="wrong"), headers=HTMX).status_code == 422
    db.session.refresh(connection)
    assert connection.status == ConnectionStatus.OK and connection.password_encrypted == good
    connection.password_encrypted = good.replace(good[-8:], "AAAAAAAA")  # no longer decrypts: empty password
    db.session.flush()
    assert not sync_connection(connection)
    assert connection.status == ConnectionStatus.BROKEN
    page = web.get(page_of(member)).get_data(as_text=True)
    assert "Connection broken: 401 Unauthorized" in page
    start = future_slot(days=3, hour=11)
    assert book(customer, service, start).team_member_id == member.id


def test_the_password_is_stored_encrypted(web, salon, provider, remote):
    _venue, _service, member = salon
    web.sign_in_as(provider)
    assert web.post(page_of(member), connect_form(remote[0])).status_code == 302
    stored = db.session.scalar(
        select(CalendarConnection.password_encrypted).where(CalendarConnection.team_member_id == member.id)
    )
    assert stored and PASSWORD not in stored


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/cal", "", "http://" + "x" * 600])
def test_a_bad_address_is_refused_and_nothing_is_kept(web, salon, provider, url):
    _venue, _service, member = salon
    web.sign_in_as(provider)
    answer = web.post(page_of(member), connect_form(url))
    assert answer.status_code == 422
    assert 'role="alert"' in answer.get_data(as_text=True)
    assert get_connection(member) is None
    fragment = web.post(page_of(member), connect_form(url), headers=HTMX)
    assert fragment.status_code == 422
    assert 'id="sync-panel"' in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)


def test_a_public_address_must_use_https(web, salon, provider, app, monkeypatch):
    _venue, _service, member = salon
    monkeypatch.setitem(app.config, "CALDAV_ALLOW_PRIVATE_HOSTS", False)
    web.sign_in_as(provider)
    answer = web.post(page_of(member), connect_form("http://127.0.0.1:1/cal/"))
    assert answer.status_code == 422 and "https://" in answer.get_data(as_text=True)
    answer = web.post(page_of(member), connect_form("https://127.0.0.1:1/cal/"))
    assert answer.status_code == 422 and get_connection(member) is None


def test_who_may_open_a_members_calendar_sync(web, make_user, ctx, provider):
    venue, _service = make_bookable_venue(provider, team=2)
    own, other = venue.team
    practitioner = make_staff(make_user, venue, "practitioner", member_id=own.id)
    receptionist = make_staff(make_user, venue, "receptionist")
    db.session.flush()
    web.sign_in_as(practitioner)
    assert page_of(own) in web.get("/provider/today").get_data(as_text=True)  # "Sync my own calendar"
    assert web.get(page_of(own)).status_code == 200
    assert web.get(page_of(other)).status_code == 404
    assert web.post(page_of(other) + "/disconnect").status_code == 404
    web.sign_in_as(receptionist)
    assert web.get(page_of(own)).status_code == 403
    web.sign_in_as(provider)
    assert page_of(other) in web.get(f"/provider/venue/team/{other.id}/schedule").get_data(as_text=True)
    assert web.get(page_of(other)).status_code == 200
    assert web.post(page_of(other) + "/disconnect").status_code == 404  # nothing connected
    assert web.post(page_of(other) + "/disconnect", csrf=False).status_code == 400


def test_the_job_syncs_every_connection_though_one_is_broken(web, ctx, make_user, remote):
    owner = make_user(role="provider", name="Two Rooms Owner")
    venue, _service = make_bookable_venue(owner, team=2)
    first, second = venue.team
    web.sign_in_as(owner)
    assert web.post(page_of(first), connect_form(remote[0])).status_code == 302
    assert web.post(page_of(second), connect_form(remote[0])).status_code == 302
    broken = get_connection(first)
    broken.password_encrypted = "not-a-token"  # the password can no longer be read: the server refuses
    db.session.flush()
    assert sync_all() == 1
    assert get_connection(first).status == ConnectionStatus.BROKEN
    assert get_connection(second).status == ConnectionStatus.OK
