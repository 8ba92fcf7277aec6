"""The calendar's booking cards (issue 45, item 2): what a card says (client, service, time, paid
and due, where it was booked, a new client, notes, intake answers), its colour by status, the
stage a confirmed booking is at (booked, arrived, started: app/booking/arrival.py) and the route
that sets it, and a calendar page that sends as many statements for 50 bookings as for 5."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.booking import arrival
from app.booking.calendar_view import card_words, money_words
from app.booking.models import Booking, BookingIntakeAnswer, BookingStatus, OrderChannel
from app.clients.desk import book_at_desk
from app.clients.service import add_client
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past
from tests.booking.test_provider_calendar import CALENDAR, HTMX, event_html, local_day, refreshed
from tests.statements import statements_sent
from tests.venues.staff_world import build_world


@pytest.fixture
def salon(ctx, provider):
    """The provider's venue (09:00-18:00, a 60-minute service at £60 for up to 10 people at once)."""
    return make_bookable_venue(provider, capacity=10)


def at_desk(venue, service, starts_at, *, staff, name="Wanda Walkin", client=None):
    """A walk-in booked at the front desk: confirmed, all of it due at the venue."""
    client = client or add_client(venue.id, name=name)
    return book_at_desk(
        venue,
        client,
        service_id=service.id,
        starts_at=starts_at,
        team_member_id=None,
        staff=staff,
        now=datetime.now(UTC),
    )


def card(web, booking) -> str:
    page = web.get(f"{CALENDAR}?date={local_day(booking.starts_at)}").get_data(as_text=True)
    return event_html(page, booking.id)


# -- what a card says ------------------------------------------------------------------------------


def test_paid_and_due_in_words(salon, customer, provider):
    venue, service = salon
    online = book(customer, service, future_slot(days=3, hour=10))
    assert money_words(online, card_words()) == ("£60", "£60 paid")
    desk = at_desk(venue, service, future_slot(days=3, hour=11), staff=provider)
    assert money_words(desk, card_words()) == ("£60", "£60 due")
    online.online_minor = 2000  # a deposit of £20 paid online, the rest at the venue
    assert money_words(online, card_words()) == ("£60", "£20 paid · £40 due")
    online.status = BookingStatus.HELD  # nothing paid or due yet while the hold waits
    assert money_words(online, card_words()) == ("£60", "")
    online.unit_price_minor = online.online_minor = 0
    assert money_words(online, card_words()) == ("", "")


def test_a_card_shows_client_service_time_money_and_channel_without_times_one(web, salon, customer, provider):
    venue, service = salon
    online = book(customer, service, future_slot(days=3, hour=10))
    desk = at_desk(venue, service, future_slot(days=3, hour=12), staff=provider)
    site = book(customer, service, future_slot(days=3, hour=14))
    site.order.channel = OrderChannel.VENUE_SITE
    pair = book(customer, service, future_slot(days=3, hour=16), quantity=2)
    db.session.flush()
    web.sign_in_as(provider)
    page = web.get(f"{CALENDAR}?date={local_day(online.starts_at)}").get_data(as_text=True)

    entry = event_html(page, online.id)
    assert "10:00–11:00" in entry and customer.name in entry and "Deep tissue massage" in entry
    assert "£60 paid" in entry and 'data-channel="online"' in entry and "Booked online" in entry
    assert "× 1" not in entry
    entry = event_html(page, desk.id)
    assert "Wanda Walkin" in entry and "£60 due" in entry and 'data-channel="desk"' in entry
    assert "Booked at the desk" in entry
    entry = event_html(page, site.id)
    assert 'data-channel="site"' in entry and "Booked on your website" in entry
    entry = event_html(page, pair.id)
    assert "Deep tissue massage × 2" in entry and "£120 paid" in entry


def test_a_clients_first_visit_is_flagged_new_and_later_ones_are_not(web, salon, customer, provider):
    venue, service = salon
    first = book(customer, service, future_slot(days=3, hour=10))
    second = book(customer, service, future_slot(days=3, hour=13))  # another order, later that day
    walk_in = add_client(venue.id, name="Nell Newcomer")
    cancelled = at_desk(venue, service, future_slot(days=2, hour=10), staff=provider, client=walk_in)
    cancelled.status = BookingStatus.CANCELLED_BY_VENUE  # a cancelled visit is no visit
    newcomer = at_desk(venue, service, future_slot(days=3, hour=15), staff=provider, client=walk_in)
    db.session.flush()
    assert first.client_id == second.client_id is not None
    web.sign_in_as(provider)
    page = web.get(f"{CALENDAR}?date={local_day(first.starts_at)}").get_data(as_text=True)
    assert 'data-flag="new-client"' in event_html(page, first.id)
    assert "New client" in event_html(page, first.id)
    assert 'data-flag="new-client"' not in event_html(page, second.id)
    assert 'data-flag="new-client"' in event_html(page, newcomer.id)

    # Once a visit is done, the next one is a returning client's.
    move_to_past(first, hours=30)
    first.status = BookingStatus.COMPLETED
    db.session.flush()
    assert 'data-flag="new-client"' not in card(web, second)


def test_notes_and_intake_answers_are_flagged(web, salon, customer, provider):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    web.sign_in_as(provider)
    entry = card(web, booking)
    assert 'data-flag="notes"' not in entry and 'data-flag="intake"' not in entry

    booking.client.notes = "Prefers a firm pressure."
    db.session.add(BookingIntakeAnswer(booking_id=booking.id, position=0, question="Allergies?", answer="None"))
    db.session.flush()
    entry = card(web, booking)
    assert 'data-flag="notes"' in entry and "Client notes" in entry
    assert 'data-flag="intake"' in entry and "Intake answers" in entry

    booking.client.notes = "   "  # only blanks: no notes
    db.session.flush()
    assert 'data-flag="notes"' not in card(web, booking)


def test_each_status_and_stage_has_its_colour(web, salon, customer, provider):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    held = book(customer, service, future_slot(days=3, hour=12), confirm=False)
    web.sign_in_as(provider)
    page = web.get(f"{CALENDAR}?date={local_day(booking.starts_at)}").get_data(as_text=True)
    assert "cal-tone-booked" in event_html(page, booking.id)
    assert "cal-tone-held" in event_html(page, held.id) and "Awaiting payment" in event_html(page, held.id)
    assert page.count("data-legend") == 1 and 'data-tone="started"' in page  # the legend names every colour
    for stage in ("arrived", "started"):
        arrival.set_stage(booking, stage, actor_id=provider.id)
        db.session.flush()
        assert f"cal-tone-{stage}" in card(web, booking)
    move_to_past(booking)
    booking.status = BookingStatus.NO_SHOW
    db.session.flush()
    entry = card(web, booking)
    assert "cal-tone-no_show" in entry and "data-stage-open" not in entry  # no stage once marked


# -- booked, arrived, started ----------------------------------------------------------------------


def stage_url(booking) -> str:
    return f"/provider/bookings/{booking.id}/stage"


def test_the_stage_goes_booked_arrived_started_and_back(web, salon, customer, provider):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    web.sign_in_as(provider)

    assert web.post(stage_url(booking), {"stage": "arrived"}).status_code == 302
    arrived = refreshed(booking)
    assert arrived.checked_in_at is not None and arrived.started_at is None
    checked_in_at = arrived.checked_in_at

    assert web.post(stage_url(booking), {"stage": "started"}).status_code == 302
    started = refreshed(booking)
    assert started.started_at is not None and started.checked_in_at == checked_in_at  # arrival kept

    assert web.post(stage_url(booking), {"stage": "booked"}).status_code == 302
    back = refreshed(booking)
    assert back.checked_in_at is None and back.started_at is None

    # Straight to started: it arrived then too.
    web.post(stage_url(booking), {"stage": "started"})
    assert refreshed(booking).checked_in_at is not None

    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.subject_id == booking.id, AuditEntry.action.like("booking.stage_%"))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "booking.stage_arrived",
        "booking.stage_started",
        "booking.stage_booked",
        "booking.stage_started",
    ]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.stage_arrived"))
    assert (entry.actor_id, entry.from_state, entry.to_state) == (provider.id, "booked", "arrived")
    history = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    assert "Marked arrived" in history and "Marked started" in history and "Set back to booked" in history


def test_the_card_sets_the_stage_and_the_calendar_comes_back_with_a_toast(web, salon, customer, provider):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    web.sign_in_as(provider)
    day = local_day(booking.starts_at)
    page = web.get(f"/provider/calendar?view=day&date={day}").get_data(as_text=True)
    entry = event_html(page, booking.id)
    # The card's button opens the page's one stage menu, which says where the booking is.
    assert 'popovertarget="cal-stage-menu"' in entry and f'data-stage-open="{booking.id}"' in entry
    assert 'data-stage="booked"' in entry
    assert page.count('id="cal-stage-menu"') == 1 and 'name="stage" value="arrived"' in page
    assert 'data-stage-url="/provider/bookings/0/stage"' in page

    response = web.post(
        stage_url(booking), {"stage": "arrived", "back": "calendar", "view": "day", "date": day}, headers=HTMX
    )
    assert response.status_code == 200
    toast = json.loads(response.headers["HX-Trigger"])["cw:toast"][0]
    assert toast == {"message": f"{customer.name} has arrived.", "category": "success"}
    entry = event_html(response.get_data(as_text=True), booking.id)
    assert "cal-tone-arrived" in entry and "Arrived" in entry and 'data-stage="arrived"' in entry

    # Without JavaScript: back to the calendar it was posted from.
    response = web.post(stage_url(booking), {"stage": "started", "back": "calendar", "view": "day", "date": day})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/provider/calendar?view=day&date={day}"

    # Setting the stage it is at changes nothing, and says so.
    response = web.post(
        stage_url(booking), {"stage": "started", "back": "calendar", "view": "day", "date": day}, headers=HTMX
    )
    toast = json.loads(response.headers["HX-Trigger"])["cw:toast"][0]
    assert toast["message"] == f"{customer.name}'s appointment has already started."
    started = select(AuditEntry.id).where(AuditEntry.action == "booking.stage_started")
    assert len(db.session.scalars(started).all()) == 1


def test_the_booking_page_has_the_same_control(web, salon, customer, provider):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    web.sign_in_as(provider)
    page = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    assert "data-stage-control" in page and 'hx-target="#booking-panel"' in page
    response = web.post(stage_url(booking), {"stage": "started"}, headers=HTMX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="booking-stage" data-stage="started"' in body and 'id="booking-panel"' in body
    assert "appointment has started" in json.loads(response.headers["HX-Trigger"])["cw:toast"][0]["message"]


@pytest.mark.parametrize("bad", ["", "arrive", "completed", "STARTED", "x" * 500])
def test_an_unknown_stage_is_refused_and_nothing_changes(web, salon, customer, provider, bad):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    web.sign_in_as(provider)
    response = web.post(stage_url(booking), {"stage": bad})
    assert response.status_code == 422
    assert "Choose Booked, Arrived or Started." in response.get_data(as_text=True)
    response = web.post(stage_url(booking), {"stage": bad, "back": "calendar"}, headers=HTMX)
    assert response.status_code == 422
    assert json.loads(response.headers["HX-Trigger"])["cw:toast"][0]["category"] == "danger"
    after = refreshed(booking)
    assert after.checked_in_at is None and after.started_at is None
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action.like("booking.stage_%"))) is None


def test_only_a_confirmed_booking_that_is_no_waiting_request_has_a_stage(web, salon, customer, provider):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    move_to_past(booking)
    booking.status = BookingStatus.COMPLETED
    held = book(customer, service, future_slot(days=3, hour=12), confirm=False)
    waiting = book(customer, service, future_slot(days=3, hour=14))
    waiting.request_state = "pending"
    db.session.flush()
    web.sign_in_as(provider)
    for refused in (booking, held, waiting):
        response = web.post(stage_url(refused), {"stage": "arrived"})
        assert response.status_code == 409, refused.status
        assert refreshed(refused).checked_in_at is None


def test_the_form_needs_its_csrf_token(web, salon, customer, provider):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    web.sign_in_as(provider)
    assert web.post(stage_url(booking), {"stage": "arrived"}, csrf=False).status_code == 400
    assert refreshed(booking).checked_in_at is None


def test_another_venues_booking_is_not_found(web, salon, make_user, customer, provider):
    other_owner = make_user(role="provider", name="Rhea Rival")
    _other, other_service = make_bookable_venue(other_owner, name="Rival Rooms")
    theirs = book(customer, other_service, future_slot(days=3, hour=10))
    web.sign_in_as(provider)
    assert web.post(stage_url(theirs), {"stage": "arrived"}).status_code == 404
    assert refreshed(theirs).checked_in_at is None


def test_a_practitioner_sets_their_own_bookings_stage_only(web, ctx, make_user, customer):
    world = build_world(make_user, customer)
    web.sign_in_as(world.people["practitioner"])
    assert web.post(stage_url(world.others_booking), {"stage": "arrived"}).status_code == 404
    assert refreshed(world.others_booking).checked_in_at is None
    assert web.post(stage_url(world.own_booking), {"stage": "arrived"}).status_code == 302
    assert refreshed(world.own_booking).checked_in_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.stage_arrived"))
    assert entry.data["actor_role"] == "practitioner"


def test_a_started_booking_no_longer_moves(web, salon, customer, provider):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    web.sign_in_as(provider)
    assert "data-movable" in card(web, booking)
    arrival.set_stage(booking, "started", actor_id=provider.id)
    db.session.flush()
    assert "data-movable" not in card(web, booking)


# -- the page's statements ---------------------------------------------------------------------------


def statements_for_day(app, web, day: str) -> list[str]:
    with statements_sent() as sent:
        response = web.get(f"{CALENDAR}?date={day}")
    assert response.status_code == 200
    return sent


def fill(venue, service, customer, provider, count: int, *, day_offset: int) -> list[Booking]:
    """``count`` bookings on one day: every other one a walk-in at the desk (its own client, with
    notes), the rest the customer's online (with intake answers)."""
    made = []
    for n in range(count):
        starts = future_slot(days=day_offset, hour=9 + n % 8)
        if n % 2:
            client = add_client(venue.id, name=f"Walk-in {n}")
            client.notes = "Likes it quiet."
            made.append(at_desk(venue, service, starts, staff=provider, client=client))
        else:
            booking = book(customer, service, starts)
            db.session.add(BookingIntakeAnswer(booking_id=booking.id, position=0, question="Allergies?", answer="No"))
            made.append(booking)
    db.session.flush()
    return made


def test_the_day_sends_as_many_statements_for_50_bookings_as_for_5(app, web, ctx, make_user, customer, provider):
    venue, service = make_bookable_venue(provider, capacity=10)
    few = fill(venue, service, customer, provider, 5, day_offset=3)
    many = fill(venue, service, customer, provider, 50, day_offset=4)
    web.sign_in_as(provider)
    tz = venue_zone(venue)
    small = statements_for_day(app, web, few[0].starts_at.astimezone(tz).date().isoformat())
    large = statements_for_day(app, web, many[0].starts_at.astimezone(tz).date().isoformat())
    page = web.get(f"{CALENDAR}?date={many[0].starts_at.astimezone(tz).date().isoformat()}").get_data(as_text=True)
    assert page.count("data-booking-id=") == 50
    assert page.count('data-flag="notes"') == 25 and page.count('data-flag="intake"') == 25
    assert len(large) == len(small), "\n".join(["5:", *small, "50:", *large])


def test_a_day_without_bookings_reads_no_card_facts(app, web, ctx, provider):
    venue, _service = make_bookable_venue(provider)
    web.sign_in_as(provider)
    day = (datetime.now(UTC) + timedelta(days=9)).astimezone(venue_zone(venue)).date().isoformat()
    sent = statements_for_day(app, web, day)
    assert not any("booking_intake_answers" in s or "booking_resources" in s for s in sent)
