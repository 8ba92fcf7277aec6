"""Invitations back (issue 47, item 6): a rebooking nudge N weeks after a visit (the same person
filled in), a win-back M months after the last visit, a birthday greeting; only with marketing
consent; each once, and never two from a venue within 30 days; never when they booked since; an
unsubscribe link that works signed out; the venue switches each on or off."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.booking.models import BookingStatus
from app.notifications.models import ReturnMessage
from app.notifications.return_messages import (
    NUDGE,
    WIN_BACK,
    birthdays_due,
    greet,
    invitations_back_job,
    nudge,
    win_back,
)
from app.notifications.return_messages import due_visits as due_of
from app.platform.extensions import db
from app.platform.jobs import run_pending_jobs
from app.privacy import consent
from app.privacy.deletion import erase_account
from app.privacy.exports import build_archive
from app.privacy.models import ConsentRecord
from app.venues.models import Service, Venue
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past
from tests.venues.test_dashboard_catalog import service_data

WEEKS = 6


@pytest.fixture
def venue_and_service(ctx, provider):
    venue, massage = make_bookable_venue(provider, team=1)
    massage.rebook_after_weeks = WEEKS
    db.session.flush()
    return venue, massage


@pytest.fixture
def visit(venue_and_service, customer):
    """The customer's visit with the venue's therapist, over a few hours ago."""
    venue, massage = venue_and_service
    member = venue.team[0]
    booking = book(customer, massage, future_slot(days=2, hour=10), team_member_id=member.id)
    move_to_past(booking, hours=3)
    return booking


def consenting(user) -> None:
    consent.record_marketing_choice(user.id, granted=True, source="settings")
    db.session.flush()


def nudges(outbox, customer) -> list:
    """The nudges emailed to ``customer`` (their delivery jobs run first)."""
    run_pending_jobs()
    return [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Time for your next")]


def due_visits(now):
    return due_of(NUDGE, now)


def sent_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(ReturnMessage))


def weeks_on(visit, days: int) -> datetime:
    """The clock ``days`` after the visit ended."""
    return visit.ends_at + timedelta(days=days)


def test_a_consenting_customer_42_days_after_a_visit_gets_exactly_one_message(visit, customer, outbox):
    consenting(customer)
    assert nudge(visit.id, now=weeks_on(visit, 41)) is None  # not yet: 6 weeks is 42 days
    assert due_visits(weeks_on(visit, 41)) == []

    now = weeks_on(visit, 42) + timedelta(hours=1)
    assert due_visits(now) == [visit.id]
    assert nudge(visit.id, now=now) == ("email",)
    assert nudge(visit.id, now=now) is None  # a second run (a retry, the next hour) sends nothing
    assert due_visits(now + timedelta(hours=1)) == []

    (mail,) = nudges(outbox, customer)
    assert mail.subject == "Time for your next Deep tissue massage at Calm Rooms?"
    member = visit.team_member
    assert f"Book with {member.name} again" in mail.body
    assert f"/venues/{visit.venue.slug}/book/{visit.service_id}?with={member.id}" in mail.body
    assert "/unsubscribe/" in mail.body
    assert sent_rows() == 1


def test_one_without_consent_gets_none(visit, customer, outbox):
    now = weeks_on(visit, 42) + timedelta(hours=1)
    assert nudge(visit.id, now=now) is None
    consent.record_marketing_choice(customer.id, granted=False, source="settings")
    assert nudge(visit.id, now=now) is None
    assert nudges(outbox, customer) == [] and sent_rows() == 0


def test_consent_given_within_the_look_back_still_brings_the_nudge(visit, customer, outbox):
    now = weeks_on(visit, 42) + timedelta(hours=1)
    assert nudge(visit.id, now=now) is None  # no consent: nothing marked
    consenting(customer)
    assert nudge(visit.id, now=now + timedelta(days=1)) == ("email",)
    assert len(nudges(outbox, customer)) == 1


def test_the_periodic_job_sends_through_the_real_clock(visit, customer, outbox):
    consenting(customer)
    visit.shift(-timedelta(days=42))  # the visit ended 42 days and three hours ago
    db.session.flush()
    invitations_back_job()
    invitations_back_job()
    assert len(nudges(outbox, customer)) == 1


def test_nothing_when_the_customer_booked_again_since(venue_and_service, visit, customer, outbox):
    consenting(customer)
    _, massage = venue_and_service
    book(customer, massage, future_slot(days=5, hour=11))
    assert nudge(visit.id, now=weeks_on(visit, 42) + timedelta(hours=1)) is None
    assert nudges(outbox, customer) == []


@pytest.mark.parametrize("status", [BookingStatus.NO_SHOW, BookingStatus.CANCELLED_BY_CUSTOMER])
def test_nothing_after_a_no_show_or_a_cancellation(visit, customer, outbox, status):
    consenting(customer)
    visit.status = status
    db.session.flush()
    assert nudge(visit.id, now=weeks_on(visit, 42) + timedelta(hours=1)) is None


def test_nothing_for_a_service_without_weeks_or_long_after_the_look_back(venue_and_service, visit, customer):
    consenting(customer)
    assert nudge(visit.id, now=weeks_on(visit, 60)) is None  # 18 days late: a new setting writes to no old visit
    _, massage = venue_and_service
    massage.rebook_after_weeks = None
    db.session.flush()
    assert nudge(visit.id, now=weeks_on(visit, 42) + timedelta(hours=1)) is None
    assert sent_rows() == 0


def test_the_unsubscribe_link_works_signed_out_and_only_withdraws(web, visit, customer, outbox):
    consenting(customer)
    nudge(visit.id, now=weeks_on(visit, 42) + timedelta(hours=1))
    (mail,) = nudges(outbox, customer)
    path = re.search(r"https?://[^/\s]+(/unsubscribe/\S+)", mail.body).group(1)

    web.sign_out()
    page = web.get(path)
    assert page.status_code == 200 and "Unsubscribe" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert consent.has_marketing_consent(customer.id)  # opening the link (a mail scanner) changes nothing

    assert web.post(path, {}, csrf=False).status_code == 400  # no token: refused, nothing changed
    assert consent.has_marketing_consent(customer.id)
    done = web.post(path, {})
    assert done.status_code == 200 and "we won't send you offers" in done.get_data(as_text=True)
    assert not consent.has_marketing_consent(customer.id)
    latest = db.session.scalar(select(ConsentRecord).order_by(ConsentRecord.id.desc()).limit(1))
    assert latest.source == "unsubscribe_link"
    assert web.post(path, {}).status_code == 200  # twice: still fine, no new record
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 2


@pytest.mark.parametrize("token", ["nonsense", "x" * 600, "eyJ1IjoxfQ.bad.signature"])
def test_a_bad_unsubscribe_link_is_a_404_with_a_message(web, customer, token):
    consenting(customer)
    page = web.get(f"/unsubscribe/{token}")
    assert page.status_code == 404
    assert "This unsubscribe link is not valid" in page.get_data(as_text=True)
    assert web.post(f"/unsubscribe/{token}", {}).status_code == 404
    assert consent.has_marketing_consent(customer.id)


def test_the_venue_sets_the_weeks_per_service(web, provider, venue_and_service):
    _, massage = venue_and_service
    web.sign_in_as(provider)
    url = f"/provider/venue/services/{massage.id}"
    form = web.get(url)
    assert form.status_code == 200 and 'name="rebook_after_weeks"' in form.get_data(as_text=True)
    for bad in ("99", "0", "six"):
        refused = web.post(url, service_data(rebook_after_weeks=bad))
        assert refused.status_code == 422, bad
        assert "1 to 52 weeks" in refused.get_data(as_text=True) or "whole number" in refused.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Service, massage.id).rebook_after_weeks == WEEKS
    assert web.post(url, service_data(rebook_after_weeks="8")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Service, massage.id).rebook_after_weeks == 8
    assert web.post(url, service_data()).status_code == 302  # a form without the field keeps it
    db.session.expire_all()
    assert db.session.get(Service, massage.id).rebook_after_weeks == 8
    assert web.post(url, service_data(rebook_after_weeks="")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Service, massage.id).rebook_after_weeks is None


def test_the_look_back_bounds_the_scan_to_recent_visits(visit):
    """A visit due more than the look-back ago is never picked up (nothing is sent years late)."""
    assert due_visits(datetime.now(UTC) + timedelta(weeks=WEEKS + 2)) == []


def test_the_export_lists_the_nudges_and_erasure_removes_them(visit, customer):
    consenting(customer)
    customer.date_of_birth = date(1990, 3, 14)
    nudge(visit.id, now=weeks_on(visit, 42) + timedelta(hours=1))
    with zipfile.ZipFile(io.BytesIO(build_archive(customer))) as archive:
        data = json.loads(archive.read("notifications.json"))
        profile = json.loads(archive.read("profile.json"))
    assert [row["booking_id"] for row in data["invitations_back"]] == [visit.id]
    assert profile["date_of_birth"] == "1990-03-14"
    erase_account(customer)
    db.session.flush()
    assert sent_rows() == 0 and customer.date_of_birth is None


# -- win-back ----------------------------------------------------------------------------------------


def test_win_back_writes_once_m_months_after_the_last_visit(venue_and_service, visit, customer, outbox):
    venue, massage = venue_and_service
    massage.rebook_after_weeks = None  # only the win-back here
    venue.win_back_months = 3
    db.session.flush()
    consenting(customer)
    three_months = months_after(visit.ends_at, 3)
    assert due_of(WIN_BACK, three_months - timedelta(hours=1)) == []
    assert due_of(WIN_BACK, three_months + timedelta(hours=1)) == [visit.id]
    assert win_back(visit.id, now=three_months + timedelta(hours=1)) == ("email",)
    assert win_back(visit.id, now=three_months + timedelta(hours=2)) is None
    (mail,) = [m for m in outbox_after_jobs(outbox) if m.subject.startswith("We'd love")]
    assert mail.to == [customer.email]
    assert mail.subject == "We'd love to see you again at Calm Rooms"
    assert f"?with={visit.team_member_id}" in mail.body


def test_a_win_back_waits_out_the_quiet_period_after_a_nudge(venue_and_service, visit, customer):
    venue, _ = venue_and_service
    venue.win_back_months = 2  # due about 61 days after the visit, 19 after the nudge
    db.session.flush()
    consenting(customer)
    assert nudge(visit.id, now=weeks_on(visit, 42) + timedelta(hours=1)) == ("email",)
    two_months = months_after(visit.ends_at, 2) + timedelta(hours=1)
    assert due_of(WIN_BACK, two_months) == [visit.id]
    assert win_back(visit.id, now=two_months) is None  # a nudge 19 days ago: not another yet
    assert sent_rows() == 1


def test_no_win_back_when_switched_off_or_booked_since(venue_and_service, visit, customer):
    venue, massage = venue_and_service
    consenting(customer)
    three_months = months_after(visit.ends_at, 3) + timedelta(hours=1)
    assert due_of(WIN_BACK, three_months) == []  # off by default
    venue.win_back_months = 3
    db.session.flush()
    book(customer, massage, future_slot(days=6, hour=12))
    assert due_of(WIN_BACK, three_months) == []


# -- birthdays ---------------------------------------------------------------------------------------


def birthday_now(customer, visit, *, year_offset: int = 0) -> datetime:
    """Noon UTC on the customer's next birthday after the visit."""
    born = customer.date_of_birth
    day = visit.ends_at.date().replace(month=born.month, day=born.day)
    if day <= visit.ends_at.date():
        day = day.replace(year=day.year + 1)
    return datetime(day.year + year_offset, day.month, day.day, 12, tzinfo=UTC)


def test_a_birthday_greeting_once_a_year_from_a_venue_that_sends_them(venue_and_service, visit, customer, outbox):
    venue, massage = venue_and_service
    massage.rebook_after_weeks = None
    customer.date_of_birth = (visit.ends_at + timedelta(days=20)).date().replace(year=1990)
    db.session.flush()
    consenting(customer)
    now = birthday_now(customer, visit)
    assert birthdays_due(now) == []  # the venue hasn't switched them on
    venue.birthday_messages = True
    db.session.flush()
    assert birthdays_due(now) == [(customer.id, venue.id)]
    assert birthdays_due(now - timedelta(days=1)) == []
    assert greet(customer.id, venue.id, now=now) == ("email",)
    assert greet(customer.id, venue.id, now=now + timedelta(hours=1)) is None
    assert birthdays_due(now) == []
    (mail,) = [m for m in outbox_after_jobs(outbox) if m.subject.startswith("Happy birthday")]
    assert mail.to == [customer.email]
    assert mail.subject == "Happy birthday from Calm Rooms"
    assert "/unsubscribe/" in mail.body
    # next year: again, if they visited within 18 months
    assert birthdays_due(birthday_now(customer, visit, year_offset=1)) == [(customer.id, venue.id)]
    assert birthdays_due(birthday_now(customer, visit, year_offset=2)) == []


def test_no_birthday_greeting_without_consent_or_a_date(venue_and_service, visit, customer):
    venue, _ = venue_and_service
    venue.birthday_messages = True
    db.session.flush()
    assert birthdays_due(datetime.now(UTC)) == []  # no date of birth
    customer.date_of_birth = (visit.ends_at + timedelta(days=20)).date().replace(year=1990)
    db.session.flush()
    now = birthday_now(customer, visit)
    assert greet(customer.id, venue.id, now=now) is None  # no consent
    assert sent_rows() == 0


def test_a_29_february_birthday_is_kept_on_28_february(venue_and_service, visit, customer):
    venue, _ = venue_and_service
    venue.birthday_messages = True
    customer.date_of_birth = date(2000, 2, 29)
    db.session.flush()
    feb28 = datetime(2027, 2, 28, 12, tzinfo=UTC)  # 2027 has no 29 February
    assert (customer.id, venue.id) in birthdays_due(feb28)
    assert birthdays_due(datetime(2028, 2, 28, 12, tzinfo=UTC)) == []  # 2028 does: on the 29th
    assert (customer.id, venue.id) in birthdays_due(datetime(2028, 2, 29, 12, tzinfo=UTC))


# -- the venue's switches and the customer's date of birth ----------------------------------------


def test_the_venue_switches_birthdays_and_win_back(web, provider, venue_and_service):
    venue, _ = venue_and_service
    web.sign_in_as(provider)
    page = web.get("/provider/reminders")
    assert page.status_code == 200 and 'name="win_back_months"' in page.get_data(as_text=True)
    for bad in ("1", "25", "soon", "9999"):
        refused = web.post("/provider/reminders/invitations", {"birthday_messages": "y", "win_back_months": bad})
        assert refused.status_code == 422, bad
        assert "2 to 24 months" in refused.get_data(as_text=True)
        db.session.expire_all()
        fresh = db.session.get(Venue, venue.id)
        assert (fresh.birthday_messages, fresh.win_back_months) == (False, None)
    assert web.post("/provider/reminders/invitations", {}, csrf=False).status_code == 400
    saved = web.post("/provider/reminders/invitations", {"birthday_messages": "y", "win_back_months": "6"})
    assert saved.status_code == 303
    db.session.expire_all()
    fresh = db.session.get(Venue, venue.id)
    assert (fresh.birthday_messages, fresh.win_back_months) == (True, 6)
    assert web.post("/provider/reminders/invitations", {"win_back_months": ""}).status_code == 303
    db.session.expire_all()
    fresh = db.session.get(Venue, venue.id)
    assert (fresh.birthday_messages, fresh.win_back_months) == (False, None)


def test_another_role_cannot_switch_a_venues_invitations(web, customer):
    web.sign_in_as(customer)
    assert web.post("/provider/reminders/invitations", {"birthday_messages": "y"}).status_code in (302, 403, 404)


def test_the_customer_gives_or_clears_a_date_of_birth(web, customer):
    web.sign_in_as(customer)
    page = web.get("/account/profile").get_data(as_text=True)
    assert 'name="date_of_birth"' in page
    base = {"name": customer.name, "phone": ""}
    for bad in ("31/02/1990", "1890-05-01", (datetime.now(UTC).date() + timedelta(days=2)).isoformat()):
        refused = web.post("/account/profile", {**base, "date_of_birth": bad})
        assert refused.status_code == 422, bad
        db.session.expire_all()
        assert db.session.get(type(customer), customer.id).date_of_birth is None
    assert web.post("/account/profile", {**base, "date_of_birth": "1990-03-14"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(customer), customer.id).date_of_birth == date(1990, 3, 14)
    assert web.post("/account/profile", {**base, "date_of_birth": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(customer), customer.id).date_of_birth is None


def outbox_after_jobs(outbox) -> list:
    run_pending_jobs()
    return list(outbox)


def months_after(moment: datetime, months: int) -> datetime:
    """``moment`` that many calendar months later, as PostgreSQL's interval adds them (the day
    kept, or the month's last)."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last))


def test_the_venue_sees_what_the_invitations_brought(web, provider, venue_and_service, visit, customer):
    _, massage = venue_and_service
    consenting(customer)
    visit.shift(-timedelta(days=42))
    db.session.flush()
    # Sent an hour ago: the test's one transaction stamps the new booking with its own start.
    assert nudge(visit.id, now=datetime.now(UTC) - timedelta(hours=1)) == ("email",)
    book(customer, massage, future_slot(days=4, hour=11))  # the customer came back
    web.sign_in_as(provider)
    page = web.get("/provider/analytics")
    assert page.status_code == 200 and "Invitations back" in page.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(web.get("/provider/analytics.csv?table=invitations").get_data(as_text=True))))
    assert rows[0][:3] == ["Invitation", "Sent", "Followed by a booking within 14 days"]
    by_kind = {row[0]: row[1:3] for row in rows[1:]}
    assert by_kind == {"Rebooking nudges": ["1", "1"], "Win-back messages": ["0", "0"], "Birthday messages": ["0", "0"]}
