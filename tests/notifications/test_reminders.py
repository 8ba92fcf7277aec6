"""Reminders: planned at the venue's offsets when a booking is confirmed, re-planned when it
moves, dropped when it is cancelled, sent once on the channels the customer chose, with the
one-tap link only while the policy allows a change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete

from app.booking import lifecycle
from app.notifications import preferences
from app.notifications.models import BookingReminder
from app.notifications.reminders import (
    get_reminder_offsets,
    parse_offset_hours,
    plan_missing,
    plan_reminders,
    send_reminder,
    set_reminder_offsets,
)
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.notifications.helpers import job_row, make_due, planned, reminders_of, sms_to
from tests.statements import statements_sent

DAY, TWO_HOURS = 24 * 60, 120
NUMBER = "+447911123456"


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)


def sms_on_for_reminders(user, number: str = NUMBER) -> None:
    choices = preferences.get_choices(user)
    choices["reminders"]["sms"] = True
    preferences.save_preferences(user, choices, sms_number=number)


# -- the venue's offsets ----------------------------------------------------------------------


def test_a_venue_that_never_chose_reminds_24_hours_before(venue_and_service):
    venue, _ = venue_and_service
    assert get_reminder_offsets(venue.id) == (DAY,)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "at least one"),
        (["24", "2", "1", "48"], "at most 3"),
        (["5"], "from the list"),
        (["-2"], "from the list"),
        (["24h"], "from the list"),
        (["9999999999999999999999"], "from the list"),
    ],
)
def test_offsets_outside_the_menu_or_too_many_are_refused(values, message):
    with pytest.raises(ValidationFailed, match=message):
        parse_offset_hours(values)


def test_offsets_are_kept_largest_first_without_repeats():
    assert parse_offset_hours(["2", "24", "2"]) == [24, 2]


def test_the_database_refuses_more_than_three_offsets(venue_and_service):
    from sqlalchemy.exc import IntegrityError

    from app.notifications.models import VenueReminderSettings

    venue, _ = venue_and_service
    db.session.add(VenueReminderSettings(venue_id=venue.id, offsets_minutes=[60, 120, 180, 240]))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# -- planning and re-planning -----------------------------------------------------------------


def test_a_confirmed_booking_gets_a_reminder_per_offset_and_channel_with_its_job(venue_and_service, customer):
    venue, service = venue_and_service
    set_reminder_offsets(venue.id, [24, 2])
    start = future_slot(days=3)
    booking = book(customer, service, start)
    assert planned(booking) == {(DAY, "email"), (DAY, "sms"), (TWO_HOURS, "email"), (TWO_HOURS, "sms")}
    for reminder in reminders_of(booking):
        assert reminder.due_at == start - timedelta(minutes=reminder.offset_minutes)
        job = job_row(reminder.job_id)
        assert job.status == "todo"
        assert job.scheduled_at == reminder.due_at
        assert job.args == {"reminder_id": reminder.id}


def test_a_bookings_reminders_are_written_in_one_statement_then_each_gets_its_job(venue_and_service, customer):
    venue, service = venue_and_service
    set_reminder_offsets(venue.id, [24, 2])
    booking = book(customer, service, future_slot(days=3))
    db.session.execute(delete(BookingReminder).where(BookingReminder.booking_id == booking.id))
    with statements_sent() as sent:
        plan_reminders(booking)
        db.session.flush()
    assert sum(s.startswith("INSERT INTO booking_reminders") for s in sent) == 1
    assert sum("procrastinate_defer_jobs" in s for s in sent) == 4
    assert sum(s.startswith("UPDATE booking_reminders") for s in sent) == 1  # the four job ids at once
    assert all(job_row(r.job_id).args == {"reminder_id": r.id} for r in reminders_of(booking))


def test_planning_twice_changes_nothing(venue_and_service, customer):
    _, service = venue_and_service
    booking = book(customer, service, future_slot(days=3))
    before = [(r.id, r.job_id) for r in reminders_of(booking)]
    plan_reminders(booking)
    assert [(r.id, r.job_id) for r in reminders_of(booking)] == before


def test_an_offset_already_past_when_confirmed_is_not_planned(venue_and_service, customer):
    venue, service = venue_and_service
    set_reminder_offsets(venue.id, [72, 2])
    booking = book(customer, service, future_slot(days=1))  # less than 48 hours ahead
    assert planned(booking) == {(TWO_HOURS, "email"), (TWO_HOURS, "sms")}


def test_a_moved_booking_drops_the_old_reminders_and_plans_new_ones(venue_and_service, customer):
    _, service = venue_and_service
    start = future_slot(days=3)
    booking = book(customer, service, start)
    old = reminders_of(booking)
    booking.starts_at, booking.ends_at = start + timedelta(days=1), booking.ends_at + timedelta(days=1)
    booking.blocks_until = booking.ends_at
    plan_reminders(booking)
    for reminder in old:
        assert reminder.status == "dropped"
        assert reminder.detail == "the booking moved"
        assert job_row(reminder.job_id) is None  # the queued job is cancelled (deleted)
    new = [r for r in reminders_of(booking) if r.status == "planned"]
    assert {r.starts_at for r in new} == {start + timedelta(days=1)}
    assert len(new) == 2


def test_the_old_reminder_of_a_moved_booking_is_not_sent_even_if_its_job_runs(venue_and_service, customer):
    """A reschedule that forgot plan_reminders: the job itself sees the new start and drops."""
    _, service = venue_and_service
    start = future_slot(days=3)
    booking = book(customer, service, start)
    [email_reminder] = [r for r in reminders_of(booking) if r.channel == "email"]
    booking.starts_at, booking.ends_at = start + timedelta(hours=2), booking.ends_at + timedelta(hours=2)
    booking.blocks_until = booking.ends_at
    db.session.flush()
    assert send_reminder(email_reminder.id, now=start - timedelta(hours=23)) == "dropped"
    assert email_reminder.detail == "the booking moved"


def test_a_cancelled_booking_drops_its_reminders(venue_and_service, customer, outbox, run_jobs):
    _, service = venue_and_service
    booking = book(customer, service, future_slot(days=3))
    reminders = reminders_of(booking)
    lifecycle.cancel_by_customer(booking, customer=customer)
    db.session.flush()
    assert {r.status for r in reminders} == {"dropped"}
    assert all(job_row(r.job_id) is None for r in reminders)
    assert send_reminder(reminders[0].id) == "nothing to do"


def test_changing_the_venues_offsets_replans_its_upcoming_bookings(venue_and_service, customer):
    venue, service = venue_and_service
    booking = book(customer, service, future_slot(days=3))
    assert set_reminder_offsets(venue.id, [2]) == 1
    assert planned(booking) == {(TWO_HOURS, "email"), (TWO_HOURS, "sms")}


def test_the_sweep_plans_confirmed_bookings_that_have_no_reminders(venue_and_service, customer):
    from sqlalchemy import delete

    from app.notifications.models import BookingReminder

    _, service = venue_and_service
    booking = book(customer, service, future_slot(days=3))
    db.session.execute(delete(BookingReminder).where(BookingReminder.booking_id == booking.id))
    assert plan_missing() == 1
    assert planned(booking) == {(DAY, "email"), (DAY, "sms")}
    assert plan_missing() == 0


# -- sending ----------------------------------------------------------------------------------


def test_an_email_reminder_is_sent_once_with_the_one_tap_link(venue_and_service, customer, outbox, run_jobs):
    _, service = venue_and_service
    start = future_slot(days=3)
    booking = book(customer, service, start)
    run_jobs()
    outbox.clear()
    [email_reminder] = [r for r in reminders_of(booking) if r.channel == "email"]
    now = start - timedelta(hours=24)
    assert send_reminder(email_reminder.id, now=now) == "sent"
    assert send_reminder(email_reminder.id, now=now) == "nothing to do"
    run_jobs()
    [message] = outbox
    assert message.to == [customer.email]
    assert message.subject.startswith("Reminder: Deep tissue massage at Calm Rooms, ")
    assert "Need to cancel or reschedule? http://localhost/r/" in message.body
    assert email_reminder.status == "sent" and email_reminder.sent_at == now


def test_the_reminder_job_runs_at_its_time_and_sends_once(venue_and_service, customer, outbox, run_jobs):
    _, service = venue_and_service
    booking = book(customer, service, future_slot(days=3))
    run_jobs()
    outbox.clear()
    reminders = reminders_of(booking)
    assert run_jobs() == []  # not due yet
    for reminder in reminders:
        make_due(reminder.job_id)
    done = run_jobs()
    assert done.count("notifications.send_reminder:succeeded") == 2
    assert [m.subject.split(",")[0] for m in outbox] == ["Reminder: Deep tissue massage at Calm Rooms"]
    db.session.expire_all()  # the jobs ran in their own session
    statuses = {r.channel: (r.status, r.detail) for r in reminders}
    assert statuses == {"email": ("sent", None), "sms": ("skipped", "reminders by sms are turned off")}


def test_sms_reminders_go_to_the_chosen_number_through_the_console_gateway(venue_and_service, customer):
    _, service = venue_and_service
    sms_on_for_reminders(customer)
    start = future_slot(days=3)
    booking = book(customer, service, start)
    [sms_reminder] = [r for r in reminders_of(booking) if r.channel == "sms"]
    assert send_reminder(sms_reminder.id, now=start - timedelta(hours=24)) == "sent"
    [sms] = sms_to(NUMBER)
    assert sms.gateway == "console"
    assert sms.user_id == customer.id
    assert sms.idempotency_key == f"reminder-{sms_reminder.id}"
    assert sms.body.startswith("CozyWish reminder: Deep tissue massage at Calm Rooms, ")
    assert f"Ref {booking.reference}. Cancel or reschedule: http://localhost/r/" in sms.body
    assert len(sms.body) < 200


def test_email_off_for_reminders_means_no_email_reminder(venue_and_service, customer, outbox, run_jobs):
    _, service = venue_and_service
    choices = preferences.get_choices(customer)
    choices["reminders"] = {"email": False, "sms": True}
    preferences.save_preferences(customer, choices, sms_number=NUMBER)
    start = future_slot(days=3)
    booking = book(customer, service, start)
    run_jobs()
    outbox.clear()
    results = {r.channel: send_reminder(r.id, now=start - timedelta(hours=24)) for r in reminders_of(booking)}
    run_jobs()
    assert results == {"email": "skipped", "sms": "sent"}
    assert outbox == []
    assert len(sms_to(NUMBER)) == 1


def test_past_the_free_cancellation_deadline_the_reminder_says_so_and_has_no_link(
    venue_and_service, customer, outbox, run_jobs
):
    venue, service = venue_and_service
    sms_on_for_reminders(customer)
    set_reminder_offsets(venue.id, [2])
    service.cancel_late_fee_percent = None  # free until 24 hours before, then no cancelling
    start = future_slot(days=3)
    booking = book(customer, service, start)
    assert booking.cancel_free_hours == 24 and booking.cancel_late_fee_percent is None
    run_jobs()
    outbox.clear()
    for reminder in reminders_of(booking):
        assert send_reminder(reminder.id, now=start - timedelta(hours=2)) == "sent"
    run_jobs()
    [sms] = sms_to(NUMBER)
    assert "/r/" not in sms.body
    assert "can no longer be cancelled or changed" in sms.body
    [email] = outbox
    assert "/r/" not in email.body
    assert "It can no longer be cancelled or changed." in email.body


def test_a_reminder_due_after_the_start_is_dropped(venue_and_service, customer):
    _, service = venue_and_service
    start = future_slot(days=3)
    booking = book(customer, service, start)
    reminder = reminders_of(booking)[0]
    assert send_reminder(reminder.id, now=start + timedelta(minutes=1)) == "dropped"
    assert reminder.detail == "the appointment had started"
