"""Rescheduling: a customer moves their booking within the venue's policy, the venue moves any
booking (its booking panel, the calendar's drag and "Move" dialog); the move is all or
nothing, the price difference goes through the refunds, the calendar entry keeps its UID with
a higher SEQUENCE, and the customer hears of it once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, text

from app.audit.models import AuditEntry
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.booking.events import times_reopened
from app.booking.models import Booking, BookingMove, BookingStatus, OrderStatus, ReschedulePolicy
from app.checkout import move_policy, reschedule
from app.notifications import moves
from app.payments.models import Refund, RefundStatus
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, iso, make_bookable_venue

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def salon(ctx, provider):
    """The provider's approved London venue: open 09:00-18:00, one 60-minute service at 60.00."""
    return make_bookable_venue(provider)


@pytest.fixture
def team_salon(ctx, provider):
    return make_bookable_venue(provider, team=2, capacity=2)


@pytest.fixture
def booking(salon, customer):
    _venue, service = salon
    return book(customer, service, future_slot(days=3, hour=10))


def refreshed(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def snapshot(booking: Booking) -> tuple:
    b = refreshed(booking)
    return (b.starts_at, b.ends_at, b.team_member_id, b.calendar_sequence, b.unit_price_minor, b.status)


def moves_of(booking: Booking) -> int:
    return db.session.scalar(select(func.count()).where(BookingMove.booking_id == booking.id))


def set_policy(venue_id: int, *, until_hours: int = 24, max_moves: int = 2) -> None:
    db.session.merge(ReschedulePolicy(venue_id=venue_id, until_hours=until_hours, max_moves=max_moves))
    db.session.flush()


def local(moment: datetime) -> tuple[str, str]:
    at = moment.astimezone(LONDON)
    return at.date().isoformat(), at.strftime("%H:%M")


# -- the service: moves and refusals ------------------------------------------------------------------


def test_a_customer_moves_their_booking_to_a_free_time(booking, customer):
    new_start = future_slot(days=4, hour=14)
    reference = booking.reference
    result = reschedule.move_booking(booking, new_start, None, by=customer)
    moved = refreshed(booking)
    assert moved.starts_at == new_start and moved.ends_at == new_start + timedelta(hours=1)
    assert moved.reference == reference and moved.status == BookingStatus.CONFIRMED
    assert moved.calendar_sequence == 1
    assert result.from_starts_at == future_slot(days=3, hour=10)
    [move] = db.session.scalars(select(BookingMove).where(BookingMove.booking_id == booking.id))
    assert (move.moved_by, move.from_starts_at, move.to_starts_at) == ("customer", result.from_starts_at, new_start)
    audit = db.session.scalar(
        select(AuditEntry).where(AuditEntry.subject_id == booking.id, AuditEntry.action == "booking.reschedule")
    )
    assert audit is not None and audit.actor_id == customer.id


def test_the_old_time_is_announced_as_reopened(booking, customer):
    heard = []

    def listen(reason, *, times, order_id):
        heard.append((reason, times, order_id))

    times_reopened.connect(listen)
    try:
        reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=customer)
    finally:
        times_reopened.disconnect(listen)
    [(reason, times, order_id)] = heard
    assert reason == "rescheduled" and order_id == booking.order_id
    assert [t.starts_at for t in times] == [future_slot(days=3, hour=10)]


def test_the_old_time_is_free_again_and_the_new_one_taken(booking, customer, salon, make_user):
    _venue, service = salon
    old = booking.starts_at
    reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=customer)
    other = book(make_user(), service, old)  # someone else books the time it let go
    assert other.status == BookingStatus.CONFIRMED
    with pytest.raises(CartItemInvalid, match="no longer available"):
        book(make_user(), service, future_slot(days=4, hour=14))


def test_a_move_may_overlap_its_own_old_time(booking, customer):
    later = booking.starts_at + timedelta(minutes=30)  # the booking itself is left out of the check
    reschedule.move_booking(booking, later, None, by=customer)
    assert refreshed(booking).starts_at == later


def test_moving_too_late_is_refused(booking, customer, salon):
    venue, _ = salon
    set_policy(venue.id, until_hours=24 * 4)  # the booking is 3 days away
    before = snapshot(booking)
    with pytest.raises(InvalidTransition, match="Changes closed 96 hours before the start"):
        reschedule.move_booking(booking, future_slot(days=5, hour=14), None, by=customer)
    assert snapshot(booking) == before and moves_of(booking) == 0


def test_moving_more_often_than_the_venue_allows_is_refused(booking, customer, salon):
    venue, _ = salon
    set_policy(venue.id, max_moves=1)
    reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=customer)
    before = snapshot(booking)
    with pytest.raises(InvalidTransition, match="already been moved once"):
        reschedule.move_booking(booking, future_slot(days=5, hour=14), None, by=customer)
    assert snapshot(booking) == before and moves_of(booking) == 1


def test_a_venue_that_takes_no_changes_online_refuses_customers_but_can_move_itself(booking, customer, provider, salon):
    venue, _ = salon
    set_policy(venue.id, max_moves=0)
    with pytest.raises(InvalidTransition, match="doesn't take changes online"):
        reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=customer)
    reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=provider, as_venue=True)
    assert refreshed(booking).starts_at == future_slot(days=4, hour=14)


def test_the_venues_moves_dont_count_against_the_customer(booking, customer, provider, salon):
    venue, _ = salon
    set_policy(venue.id, max_moves=1)
    reschedule.move_booking(booking, future_slot(days=4, hour=11), None, by=provider, as_venue=True)
    assert move_policy.customer_eligibility(refreshed(booking), datetime.now(UTC)).moves_left == 1


def test_a_taken_time_is_refused_and_nothing_changes(booking, customer, salon, make_user):
    _venue, service = salon
    book(make_user(), service, future_slot(days=4, hour=14))
    before = snapshot(booking)
    with pytest.raises(SlotUnavailable, match="isn't free"):
        reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=customer)
    assert snapshot(booking) == before and moves_of(booking) == 0


@pytest.mark.parametrize("hour", [7, 20])
def test_a_time_outside_opening_hours_is_refused(booking, customer, hour):
    with pytest.raises(SlotUnavailable):
        reschedule.move_booking(booking, future_slot(days=4, hour=hour), None, by=customer)


def test_a_chosen_team_member_must_be_free(team_salon, customer, make_user):
    venue, service = team_salon
    first, second = venue.team
    mine = book(customer, service, future_slot(days=3, hour=10), team_member_id=first.id)
    book(make_user(), service, future_slot(days=4, hour=14), team_member_id=second.id)
    with pytest.raises(SlotUnavailable, match="team member isn't free"):
        reschedule.move_booking(mine, future_slot(days=4, hour=14), second.id, by=customer)
    # "Anyone": the customer keeps their own therapist, who is free then.
    reschedule.move_booking(mine, future_slot(days=4, hour=14), None, by=customer)
    assert refreshed(mine).team_member_id == first.id


def test_the_venue_moves_a_booking_to_another_team_member_at_the_same_time(team_salon, customer, provider):
    venue, service = team_salon
    first, second = venue.team
    mine = book(customer, service, future_slot(days=3, hour=10), team_member_id=first.id)
    reschedule.move_booking(mine, mine.starts_at, second.id, by=provider, as_venue=True)
    assert refreshed(mine).team_member_id == second.id


def test_another_venues_team_member_is_refused(team_salon, customer, make_user):
    venue, service = team_salon
    mine = book(customer, service, future_slot(days=3, hour=10), team_member_id=venue.team[0].id)
    rival, _ = make_bookable_venue(make_user(role="provider"), team=1, name="Rival")
    with pytest.raises(ValidationFailed, match="team member of this venue"):
        reschedule.move_booking(mine, future_slot(days=4, hour=14), rival.team[0].id, by=customer)


def test_only_the_bookings_customer_or_its_venue_can_move_it(booking, make_user):
    with pytest.raises(InvalidTransition):
        reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=make_user())
    with pytest.raises(InvalidTransition):
        reschedule.move_booking(
            booking, future_slot(days=4, hour=14), None, by=make_user(role="provider"), as_venue=True
        )


def test_a_held_or_cancelled_booking_cant_move(salon, customer):
    _venue, service = salon
    held = book(customer, service, future_slot(days=3, hour=12), confirm=False)
    with pytest.raises(InvalidTransition, match="Only a confirmed booking"):
        reschedule.move_booking(held, future_slot(days=4, hour=14), None, by=customer)


# -- money ----------------------------------------------------------------------------------------------


def test_a_cheaper_price_now_is_refunded_through_the_demo_gateway(booking, customer, salon, run_jobs):
    _venue, service = salon
    service.price_minor = 4500
    result = reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=customer)
    assert result.price_difference_minor == -1500 and result.refunded_minor == 1500
    db.session.commit()
    run_jobs()
    [refund] = db.session.scalars(select(Refund).where(Refund.booking_id == booking.id))
    assert (refund.amount_minor, refund.status) == (1500, RefundStatus.SUCCEEDED)
    moved = refreshed(booking)
    assert moved.unit_price_minor == 4500
    assert moved.order.status == OrderStatus.PARTIALLY_REFUNDED and moved.order.refunded_minor == 1500


def test_a_dearer_price_now_asks_for_a_top_up_and_changes_nothing(booking, customer, salon):
    _venue, service = salon
    service.price_minor = 7000
    db.session.flush()
    before = snapshot(booking)
    with pytest.raises(reschedule.TopUpNeeded, match=r"costs £10\.00 more than you paid: pay £10\.00 to move") as err:
        reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=customer)
    assert err.value.amount_minor == 1000 and err.value.target.starts_at == future_slot(days=4, hour=14)
    assert snapshot(booking) == before


def test_the_venues_move_keeps_the_price_paid_when_it_costs_more_now(booking, provider, salon):
    _venue, service = salon
    service.price_minor = 7000
    db.session.flush()
    result = reschedule.move_booking(booking, future_slot(days=4, hour=14), None, by=provider, as_venue=True)
    assert result.price_difference_minor == 0 and result.refunded_minor == 0
    assert refreshed(booking).unit_price_minor == 6000
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


# -- the customer's pages -------------------------------------------------------------------------------


def test_the_booking_page_offers_reschedule_when_allowed_and_says_why_not_otherwise(web, booking, customer, salon):
    web.sign_in_as(customer)
    page = web.get(f"/bookings/{booking.reference}").get_data(as_text=True)
    assert f'href="/bookings/{booking.reference}/reschedule"' in page and "2 more times" in page
    venue, _ = salon
    set_policy(venue.id, until_hours=24 * 5)
    db.session.commit()
    page = web.get(f"/bookings/{booking.reference}").get_data(as_text=True)
    assert f"/bookings/{booking.reference}/reschedule" not in page
    assert "Rescheduling: Changes closed 120 hours before the start" in page


def test_the_reschedule_page_lists_free_times_without_the_current_one(web, booking, customer):
    web.sign_in_as(customer)
    day, _ = local(booking.starts_at)
    page = web.get(f"/bookings/{booking.reference}/reschedule?day={day}").get_data(as_text=True)
    assert "Free times on" in page
    assert f"start={iso(booking.starts_at)}" not in page  # its own time isn't offered
    # Times that overlap its own are: the booking itself is left out of the check.
    assert f"start={iso(booking.starts_at + timedelta(minutes=15))}" in page


def test_the_customer_moves_it_with_the_form_and_hears_once_with_the_updated_calendar_entry(
    web, booking, customer, provider, run_jobs, outbox
):
    web.sign_in_as(customer)
    before_ics = Calendar.from_ical(web.get(f"/bookings/{booking.reference}/calendar.ics").data)
    new_start = future_slot(days=4, hour=14)
    response = web.post(f"/bookings/{booking.reference}/reschedule", {"starts_at": iso(new_start)})
    assert response.status_code == 303 and response.location.endswith(f"/bookings/{booking.reference}")
    assert refreshed(booking).starts_at == new_start
    run_jobs()
    run_jobs()  # running the queue again sends nothing twice
    to_customer = [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Moved")]
    to_venue = [m for m in outbox if m.to == [provider.email] and m.subject.startswith("Moved")]
    assert len(to_customer) == 1 and to_customer[0].subject.startswith("Moved:")
    assert len(to_venue) == 1 and booking.reference in to_venue[0].subject
    body = to_customer[0].body
    assert "New time:" in body and "14:00" in body and "(Europe/London)" in body
    [old_event] = before_ics.walk("VEVENT")
    [new_event] = Calendar.from_ical(to_customer[0].attachments[0][1]).walk("VEVENT")
    assert str(new_event["UID"]) == str(old_event["UID"]) == f"{booking.reference}@cozywish"
    assert int(new_event["SEQUENCE"]) == int(old_event["SEQUENCE"]) + 1
    assert new_event.decoded("DTSTART") == new_start
    [downloaded] = Calendar.from_ical(web.get(f"/bookings/{booking.reference}/calendar.ics").data).walk("VEVENT")
    assert int(downloaded["SEQUENCE"]) == 1


def test_a_htmx_move_redirects_and_a_refusal_comes_back_as_a_toast(web, booking, customer, salon, make_user):
    web.sign_in_as(customer)
    _venue, service = salon
    book(make_user(), service, future_slot(days=4, hour=15))
    db.session.commit()
    headers = {"HX-Request": "true"}
    refused = web.post(
        f"/bookings/{booking.reference}/reschedule", {"starts_at": iso(future_slot(days=4, hour=15))}, headers=headers
    )
    assert refused.status_code == 409
    toast = json.loads(refused.headers["HX-Trigger"])["cw:toast"][0]
    assert toast["category"] == "danger" and "isn't free" in toast["message"]
    ok = web.post(
        f"/bookings/{booking.reference}/reschedule", {"starts_at": iso(future_slot(days=4, hour=16))}, headers=headers
    )
    assert ok.status_code == 204 and ok.headers["HX-Redirect"] == f"/bookings/{booking.reference}"


@pytest.mark.parametrize(
    "form",
    [
        {"starts_at": "tomorrow at ten"},
        {"starts_at": ""},
        {"starts_at": "2030-01-01T10:00:00"},  # no offset
        {"starts_at": "2030-01-01T10:00:00Z", "team_member_id": "one"},
    ],
)
def test_bad_input_is_a_422_and_changes_nothing(web, booking, customer, form):
    web.sign_in_as(customer)
    before = snapshot(booking)
    response = web.post(f"/bookings/{booking.reference}/reschedule", form)
    assert response.status_code == 422
    assert snapshot(booking) == before and moves_of(booking) == 0


def test_a_move_without_the_csrf_token_is_refused(web, booking, customer):
    web.sign_in_as(customer)
    before = snapshot(booking)
    response = web.post(
        f"/bookings/{booking.reference}/reschedule", {"starts_at": iso(future_slot(days=4, hour=14))}, csrf=False
    )
    assert response.status_code == 400 and snapshot(booking) == before


def test_another_customer_cant_see_or_move_the_booking(web, booking, make_user):
    web.sign_in_as(make_user(name="Ivy Intruder"))
    before = snapshot(booking)
    assert web.get(f"/bookings/{booking.reference}/reschedule").status_code == 404
    response = web.post(f"/bookings/{booking.reference}/reschedule", {"starts_at": iso(future_slot(days=4, hour=14))})
    assert response.status_code == 404 and snapshot(booking) == before


def test_signed_out_visitors_are_sent_to_sign_in(web, booking):
    response = web.get(f"/bookings/{booking.reference}/reschedule")
    assert response.status_code == 302 and "/sign-in" in response.location


def test_a_failure_after_writing_leaves_the_booking_as_it_was(web, booking, customer, monkeypatch):
    """Atomicity: anything refusing after the new time was written (here the emails) rolls the
    whole move back: the old time, no move row, no email, no reopened time."""
    web.sign_in_as(customer)
    before = snapshot(booking)
    jobs_before = queued_jobs()

    def broken(*args, **kwargs):
        raise ValidationFailed("The mail queue is full.")

    monkeypatch.setattr(moves, "tell_about_move", broken)
    response = web.post(f"/bookings/{booking.reference}/reschedule", {"starts_at": iso(future_slot(days=4, hour=14))})
    assert response.status_code == 422 and "The mail queue is full." in response.get_data(as_text=True)
    assert snapshot(booking) == before and moves_of(booking) == 0
    assert queued_jobs() == jobs_before


# -- the provider ----------------------------------------------------------------------------------------


def queued_jobs() -> int:
    return db.session.scalar(text("SELECT count(*) FROM procrastinate_jobs"))


def move_form(moment: datetime, member: str = "", **extra) -> dict:
    day, time = local(moment)
    return {"new_date": day, "new_time": time, "new_member": member, **extra}


def test_the_provider_moves_from_the_booking_panel_and_the_customer_is_told(
    web, booking, provider, customer, run_jobs, outbox
):
    web.sign_in_as(provider)
    new_start = future_slot(days=5, hour=9)
    response = web.post(f"/provider/bookings/{booking.id}/move", move_form(new_start, **{"return": "booking"}))
    assert response.status_code == 303
    moved = refreshed(booking)
    assert moved.starts_at == new_start and moved.calendar_sequence == 1
    run_jobs()
    [email] = [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Moved")]
    assert email.subject.startswith("Moved by the venue") and "09:00" in email.body
    assert "SEQUENCE:1" in email.attachments[0][1]
    assert not [m for m in outbox if m.to == [provider.email] and m.subject.startswith("Moved")]
    page = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    assert "Moved to another time" in page


def test_the_calendar_drag_posts_and_gets_the_calendar_back_with_a_toast(web, team_salon, provider, customer):
    venue, service = team_salon
    first, second = venue.team
    mine = book(customer, service, future_slot(days=3, hour=10), team_member_id=first.id)
    db.session.commit()
    web.sign_in_as(provider)
    day, _ = local(mine.starts_at)
    calendar = web.get(f"/provider/calendar?view=day&date={day}").get_data(as_text=True)
    assert f'data-booking-id="{mine.id}" data-movable' in calendar and 'id="cal-move-dialog"' in calendar
    assert f'data-drop-member="{second.id}"' in calendar
    form = move_form(future_slot(days=3, hour=11), str(second.id), view="day", date=day)
    response = web.post(f"/provider/bookings/{mine.id}/move", form, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="calendar"' in response.get_data(as_text=True)
    assert "Moved" in json.loads(response.headers["HX-Trigger"])["cw:toast"][0]["message"]
    moved = refreshed(mine)
    assert (moved.starts_at, moved.team_member_id) == (future_slot(days=3, hour=11), second.id)


def test_a_refused_drag_returns_the_calendar_unchanged_with_a_toast(web, booking, provider, salon, make_user):
    _venue, service = salon
    book(make_user(), service, future_slot(days=3, hour=15))
    db.session.commit()
    web.sign_in_as(provider)
    before = snapshot(booking)
    day, _ = local(booking.starts_at)
    response = web.post(
        f"/provider/bookings/{booking.id}/move",
        move_form(future_slot(days=3, hour=15), view="day", date=day),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert f'data-booking-id="{booking.id}"' in response.get_data(as_text=True)
    toast = json.loads(response.headers["HX-Trigger"])["cw:toast"][0]
    assert toast["category"] == "danger" and "isn't free" in toast["message"]
    assert snapshot(booking) == before


@pytest.mark.parametrize(
    "form",
    [
        {"new_date": "soon", "new_time": "10:00"},
        {"new_date": "2030-02-30", "new_time": "10:00"},
        {"new_date": "2030-01-10", "new_time": "25:99"},
        {"new_date": "2030-01-10", "new_time": ""},
        {"new_date": "2030-01-10", "new_time": "10:00", "new_member": "x1"},
    ],
)
def test_the_provider_move_refuses_bad_input_with_a_422(web, booking, provider, form):
    web.sign_in_as(provider)
    before = snapshot(booking)
    response = web.post(f"/provider/bookings/{booking.id}/move", form)
    assert response.status_code == 422
    assert snapshot(booking) == before


def test_another_venues_provider_cant_move_the_booking(web, booking, make_user, ctx):
    rival = make_user(role="provider", name="Rhea Rival")
    make_bookable_venue(rival, name="Rival Rooms")
    db.session.commit()
    web.sign_in_as(rival)
    before = snapshot(booking)
    response = web.post(f"/provider/bookings/{booking.id}/move", move_form(future_slot(days=4, hour=14)))
    assert response.status_code == 404 and snapshot(booking) == before


def test_a_customer_cant_use_the_provider_move(web, booking, customer):
    web.sign_in_as(customer)
    before = snapshot(booking)
    response = web.post(f"/provider/bookings/{booking.id}/move", move_form(future_slot(days=4, hour=14)))
    assert response.status_code == 403 and snapshot(booking) == before


# -- the venue's policy ----------------------------------------------------------------------------------


def test_the_provider_sets_the_policy(web, salon, provider):
    venue, _ = salon
    db.session.commit()
    web.sign_in_as(provider)
    assert "up to 2 times, up to 24 hours before" in web.get("/provider/rescheduling").get_data(as_text=True)
    response = web.post("/provider/rescheduling", {"until_hours": "48", "max_moves": "1"})
    assert response.status_code == 303
    policy = move_policy.get_policy(venue.id)
    assert (policy.until_hours, policy.max_moves) == (48, 1)


@pytest.mark.parametrize(
    "form", [{"until_hours": "-1", "max_moves": "1"}, {"until_hours": "24", "max_moves": "11"}, {"until_hours": "x"}]
)
def test_a_bad_policy_is_a_422_and_changes_nothing(web, salon, provider, form):
    venue, _ = salon
    set_policy(venue.id, until_hours=12, max_moves=3)
    db.session.commit()
    web.sign_in_as(provider)
    assert web.post("/provider/rescheduling", form).status_code == 422
    db.session.expire_all()
    policy = move_policy.get_policy(venue.id)
    assert (policy.until_hours, policy.max_moves) == (12, 3)


def test_customers_cant_reach_the_policy_page(web, customer):
    web.sign_in_as(customer)
    assert web.get("/provider/rescheduling").status_code == 403
    assert web.post("/provider/rescheduling", {"until_hours": "1", "max_moves": "1"}).status_code == 403


def test_the_week_view_offers_days_to_drop_on_and_a_move_button(web, booking, provider):
    web.sign_in_as(provider)
    day, _ = local(booking.starts_at)
    page = web.get(f"/provider/calendar?view=week&date={day}").get_data(as_text=True)
    assert f'data-drop-day="{day}"' in page  # each day of the week grid takes a drop at a time (static/js/calendar.js)
    assert f'href="/provider/bookings/{booking.id}#move" data-move-open="{booking.id}"' in page


def test_a_started_booking_cant_be_moved_by_the_venue(web, booking, provider):
    from tests.booking.helpers import move_to_past

    move_to_past(booking, hours=0)
    db.session.commit()
    web.sign_in_as(provider)
    before = snapshot(booking)
    response = web.post(
        f"/provider/bookings/{booking.id}/move", move_form(future_slot(days=4, hour=14), **{"return": "booking"})
    )
    assert response.status_code == 409 and "already started" in response.get_data(as_text=True)
    assert snapshot(booking) == before


def test_a_refusal_on_the_booking_panel_says_why(web, booking, provider, salon, make_user):
    _venue, service = salon
    book(make_user(), service, future_slot(days=4, hour=14))
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post(
        f"/provider/bookings/{booking.id}/move",
        move_form(future_slot(days=4, hour=14), **{"return": "booking"}),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert 'id="booking-error"' in response.get_data(as_text=True)


def test_a_move_drops_the_old_times_reminders_and_plans_the_new_ones(booking, customer):
    from tests.notifications.helpers import reminders_of

    old = [r for r in reminders_of(booking) if r.status == "planned"]
    assert old and {r.starts_at for r in old} == {booking.starts_at}
    new_start = future_slot(days=4, hour=14)
    reschedule.move_booking(booking, new_start, None, by=customer)
    db.session.flush()
    after = reminders_of(refreshed(booking))
    assert {r.status for r in after if r.starts_at != new_start} == {"dropped"}
    assert {r.starts_at for r in after if r.status == "planned"} == {new_start}
