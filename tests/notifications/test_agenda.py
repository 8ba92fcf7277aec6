"""Tomorrow's agenda: off by default, sent after 18:00 venue time to those who chose it, once per
venue and day however often the hourly job runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.notifications import agenda, preferences
from app.notifications.models import AgendaSent
from app.platform.extensions import db
from tests.booking.helpers import book, make_bookable_venue


@pytest.fixture
def salon(ctx, provider):
    return make_bookable_venue(provider)


def evening(days_ahead: int = 0, hour: int = 18, tz: str = "Europe/London") -> datetime:
    today = datetime.now(ZoneInfo(tz)).date() + timedelta(days=days_ahead)
    return datetime(today.year, today.month, today.day, hour, 5, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def want_agenda(user) -> None:
    choices = preferences.get_choices(user)
    choices["daily_agenda"] = {"email": True, "sms": False}
    preferences.save_preferences(user, choices, sms_number="")


def sends() -> int:
    return db.session.scalar(select(func.count()).select_from(AgendaSent))


def test_nobody_gets_an_agenda_without_asking(salon, provider):
    assert agenda.send_agendas(evening()) == 0
    assert sends() == 0


def test_the_agenda_lists_tomorrows_bookings_once(salon, customer, provider, outbox, run_jobs):
    _, service = salon
    want_agenda(provider)
    now = evening()
    tomorrow_10 = datetime.combine(
        now.astimezone(ZoneInfo("Europe/London")).date() + timedelta(days=1),
        datetime.min.time().replace(hour=10),
        ZoneInfo("Europe/London"),
    ).astimezone(UTC)
    booking = book(customer, service, tomorrow_10)
    run_jobs()
    outbox.clear()
    assert agenda.send_agendas(now - timedelta(hours=1)) == 0  # 17:05 there: not yet
    assert agenda.send_agendas(now) == 1
    assert agenda.send_agendas(now) == 0  # the same run again
    assert agenda.send_agendas(now + timedelta(hours=1)) == 0  # the next hour's run
    run_jobs()
    [mail] = [m for m in outbox if m.to == [provider.email]]
    assert mail.subject == "Tomorrow at Calm Rooms: 1 booking"
    assert "10:00" in mail.body and booking.reference in mail.body and customer.first_name in mail.body
    assert sends() == 1


def test_an_evening_without_bookings_says_so(salon, provider, outbox, run_jobs):
    want_agenda(provider)
    assert agenda.send_agendas(evening()) == 1
    run_jobs()
    [mail] = [m for m in outbox if m.to == [provider.email]]
    assert "No bookings yet." in mail.body


def test_the_hour_is_the_venues_own(ctx, provider):
    make_bookable_venue(provider, tz="America/New_York", name="Far Rooms")
    want_agenda(provider)
    london_evening = evening(hour=18, tz="Europe/London")
    local = london_evening.astimezone(ZoneInfo("America/New_York"))
    expected = 1 if local.hour >= agenda.AGENDA_HOUR else 0
    assert agenda.send_agendas(london_evening) == expected
