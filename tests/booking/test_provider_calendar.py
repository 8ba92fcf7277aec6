"""The provider's booking calendar (app/booking/views/calendar.py): day and week views, one booking's
page and its actions, blocked time, and the private iCal feed."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.booking import lifecycle
from app.booking.availability import get_slots
from app.booking.models import BookingStatus, TimeBlock
from app.notifications import confirmations
from app.platform.extensions import db
from app.venues.service import create_venue
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past

CALENDAR = "/provider/calendar"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _confirmations_without_customer_pages(app, monkeypatch):
    """The confirmation email links to "My bookings"; skip it while that page isn't registered."""
    if "booking.my_bookings" not in app.view_functions:
        monkeypatch.setattr(confirmations, "send_confirmation", lambda order: None)


@pytest.fixture
def salon(ctx, provider):
    """The provider's approved London venue: open 09:00-18:00, one 60-minute service at 60.00."""
    return make_bookable_venue(provider)


@pytest.fixture
def booking(salon, customer):
    _venue, service = salon
    return book(customer, service, future_slot(days=3, hour=10))


@pytest.fixture
def rival(ctx, make_user, customer):
    """Another provider's venue with a booking of its own."""
    owner = make_user(role="provider", name="Rhea Rival")
    _venue, service = make_bookable_venue(owner, name="Rival Rooms")
    other_customer = make_user(name="Oscar Othercustomer")
    return book(other_customer, service, future_slot(days=3, hour=10))


def local_day(moment: datetime, tz: str = "Europe/London") -> str:
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()


def event_html(page: str, booking_id: int) -> str:
    """The calendar entry of one booking (the <li> that carries its id)."""
    match = re.search(rf'<li [^>]*data-booking-id="{booking_id}"[^>]*>.*?</li>', page, re.S)
    assert match, f"booking {booking_id} is not on the page"
    return match.group(0)


def column_html(page: str, key: str) -> str:
    match = re.search(rf'<ol [^>]*aria-labelledby="cal-col-{key}"[^>]*>.*?</ol>', page, re.S)
    assert match, f"no column {key}"
    return match.group(0)


def grid_html(page: str) -> str:
    start = page.index('class="cal-scroll"')
    return page[start : page.index('id="cancelled-title"')]


def refreshed(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# -- who may reach what -----------------------------------------------------------------------------


def provider_routes(booking_id: int, block_id: int = 1) -> list[tuple[str, str]]:
    return [
        ("get", CALENDAR),
        ("get", f"/provider/bookings/{booking_id}"),
        ("post", f"/provider/bookings/{booking_id}/complete"),
        ("post", f"/provider/bookings/{booking_id}/no-show"),
        ("post", f"/provider/bookings/{booking_id}/cancel"),
        ("get", "/provider/requests"),
        ("post", f"/provider/bookings/{booking_id}/accept"),
        ("post", f"/provider/bookings/{booking_id}/decline"),
        ("post", "/provider/calendar/blocks"),
        ("post", f"/provider/calendar/blocks/{block_id}/delete"),
        ("post", "/provider/calendar/feed"),
        ("post", "/provider/calendar/feed/revoke"),
    ]


def request_as(web, method: str, path: str):
    return web.get(path) if method == "get" else web.post(path, {"reason": "x"})


def test_anonymous_visitors_are_sent_to_sign_in(web, booking):
    for method, path in provider_routes(booking.id):
        response = request_as(web, method, path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/account/sign-in"), path


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_customers_and_admins_are_refused(web, booking, make_user, role):
    web.sign_in_as(make_user(role=role))
    for method, path in provider_routes(booking.id):
        assert request_as(web, method, path).status_code == 403, path


def test_a_provider_without_a_venue_is_sent_to_the_first_step(web, booking, make_user):
    web.sign_in_as(make_user(role="provider"))
    for method, path in provider_routes(booking.id):
        response = request_as(web, method, path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/provider/venue/basics", path


def test_another_venues_booking_is_not_found(web, provider, booking, rival):
    web.sign_in_as(provider)
    assert web.get(f"/provider/bookings/{rival.id}").status_code == 404
    move_to_past(rival)
    assert web.post(f"/provider/bookings/{rival.id}/complete").status_code == 404
    assert web.post(f"/provider/bookings/{rival.id}/cancel", {"reason": "Nope"}).status_code == 404
    assert web.post(f"/provider/bookings/{rival.id}/accept").status_code == 404
    assert web.post(f"/provider/bookings/{rival.id}/decline").status_code == 404
    assert refreshed(rival).status == BookingStatus.CONFIRMED


def test_another_venues_bookings_never_appear_in_the_calendar(web, provider, booking, rival):
    web.sign_in_as(provider)
    for view in ("day", "week"):
        page = web.get(f"{CALENDAR}?view={view}&date={local_day(booking.starts_at)}").get_data(as_text=True)
        assert f'data-booking-id="{booking.id}"' in page
        assert f'data-booking-id="{rival.id}"' not in page
        assert "Oscar Othercustomer" not in page


def test_another_venues_block_cannot_be_deleted(web, provider, booking, rival):
    block = TimeBlock(
        venue_id=rival.venue_id, starts_at=rival.starts_at, ends_at=rival.ends_at, reason="Their training"
    )
    db.session.add(block)
    db.session.flush()
    web.sign_in_as(provider)
    assert web.post(f"/provider/calendar/blocks/{block.id}/delete").status_code == 404
    assert db.session.get(TimeBlock, block.id) is not None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("view=month", "day or the week"),
        ("date=2026-13-01", "is not a date"),
        ("date=tomorrow", "YYYY-MM-DD"),
        ("date=1900-01-01", "between"),
        ("member=999999", "team member"),
        ("member=abc", "team member"),
        ("service=999999", "service"),
    ],
)
def test_bad_calendar_queries_are_refused_with_a_message(web, provider, salon, query, message):
    web.sign_in_as(provider)
    response = web.get(f"{CALENDAR}?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_another_venues_team_member_is_a_bad_filter(web, provider, salon, make_user):
    other_venue, _ = make_bookable_venue(make_user(role="provider"), team=1, name="Elsewhere")
    web.sign_in_as(provider)
    assert web.get(f"{CALENDAR}?member={other_venue.team[0].id}").status_code == 400


# -- day and week views -----------------------------------------------------------------------------


def test_the_day_view_shows_a_confirmed_booking_at_its_local_time(web, provider, booking, customer):
    web.sign_in_as(provider)
    response = web.get(f"{CALENDAR}?date={local_day(booking.starts_at)}")
    assert response.status_code == 200
    entry = event_html(response.get_data(as_text=True), booking.id)
    assert "10:00–11:00" in entry
    assert "Deep tissue massage" in entry
    assert customer.name in entry
    assert "× 1" not in entry  # a quantity shows only above one (the cards: tests/booking/test_calendar_cards.py)
    assert "Booked" in entry and "cal-tone-booked" in entry  # confirmed, not arrived yet
    assert "cal-row-5 cal-span-4" in entry  # the grid opens at 09:00: 10:00 is the fifth 15-minute row
    assert f'href="/provider/bookings/{booking.id}"' in entry


def test_times_are_shown_in_a_new_york_venues_own_zone(web, make_user, customer, ctx):
    owner = make_user(role="provider")
    _venue, service = make_bookable_venue(owner, tz="America/New_York", name="Hudson Spa")
    start = future_slot("America/New_York", hour=10)
    booking = book(customer, service, start)
    web.sign_in_as(owner)
    day = local_day(start, "America/New_York")
    page = web.get(f"{CALENDAR}?date={day}").get_data(as_text=True)
    assert "10:00–11:00" in event_html(page, booking.id)
    assert "America/New_York" in page
    week = web.get(f"{CALENDAR}?view=week&date={day}").get_data(as_text=True)
    assert "10:00–11:00" in event_html(week, booking.id)


def test_today_in_the_venues_zone_is_the_default(web, provider, salon):
    web.sign_in_as(provider)
    page = web.get(CALENDAR).get_data(as_text=True)
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date()
    assert f'value="{today.isoformat()}"' in page
    assert 'class="cal-day"' in page


def test_the_week_view_lists_bookings_per_day_in_time_order(web, provider, salon, customer, make_user):
    _venue, service = salon
    late = book(customer, service, future_slot(days=3, hour=15))
    early = book(make_user(), service, future_slot(days=3, hour=9))
    web.sign_in_as(provider)
    response = web.get(f"{CALENDAR}?view=week&date={local_day(late.starts_at)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="cal-week-day') == 7
    assert page.index(f'data-booking-id="{early.id}"') < page.index(f'data-booking-id="{late.id}"')
    assert "15:00–16:00" in event_html(page, late.id)


def test_each_team_member_has_a_column_and_filters_narrow_the_view(web, provider, customer, make_user, ctx):
    venue, massage = make_bookable_venue(provider, team=2)
    facial = _other_service(venue)  # no team member offers it: its bookings are unassigned
    first, second = venue.team
    mine = book(customer, massage, future_slot(hour=11), team_member_id=second.id)
    unassigned = book(make_user(), facial, future_slot(hour=14))
    assert unassigned.team_member_id is None
    web.sign_in_as(provider)
    day = local_day(mine.starts_at)
    page = web.get(f"{CALENDAR}?date={day}").get_data(as_text=True)
    assert f'data-booking-id="{mine.id}"' in column_html(page, str(second.id))
    assert f'data-booking-id="{mine.id}"' not in column_html(page, str(first.id))
    assert f'data-booking-id="{unassigned.id}"' in column_html(page, "unassigned")
    assert "14:00–14:30" in event_html(page, unassigned.id)

    only_second = web.get(f"{CALENDAR}?date={day}&member={second.id}").get_data(as_text=True)
    assert f'data-booking-id="{mine.id}"' in only_second
    assert f'data-booking-id="{unassigned.id}"' not in only_second
    assert 'aria-labelledby="cal-col-unassigned"' not in only_second

    facials = web.get(f"{CALENDAR}?view=week&date={day}&service={facial.id}").get_data(as_text=True)
    assert f'data-booking-id="{unassigned.id}"' in facials
    assert f'data-booking-id="{mine.id}"' not in facials


def _other_service(venue):
    from app.venues.service import save_service

    return save_service(
        venue,
        None,
        name="Facial",
        description="",
        category_id=None,
        duration_minutes=30,
        price_minor=3000,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )


def test_held_bookings_await_payment_and_cancelled_ones_sit_below_the_grid(web, provider, salon, customer, make_user):
    _venue, service = salon
    held = book(customer, service, future_slot(hour=10), confirm=False)
    cancelled = book(make_user(name="Cora Cancelled"), service, future_slot(hour=13))
    lifecycle.cancel_by_customer(cancelled, customer=cancelled.customer)
    db.session.flush()
    web.sign_in_as(provider)
    page = web.get(f"{CALENDAR}?date={local_day(held.starts_at)}").get_data(as_text=True)
    entry = event_html(page, held.id)
    assert "cal-status-held" in entry
    assert "Awaiting payment" in entry
    assert "Cora Cancelled" not in grid_html(page)
    assert "Cora Cancelled" in page[page.index('id="cancelled-title"') :]
    assert "Cancelled by the customer" in page


def test_blocked_time_is_shown_hatched_in_every_column(web, provider, ctx):
    venue, _service = make_bookable_venue(provider, team=1)
    start = future_slot(hour=12)
    db.session.add(TimeBlock(venue_id=venue.id, starts_at=start, ends_at=start + timedelta(hours=1), reason="Lunch"))
    db.session.flush()
    web.sign_in_as(provider)
    page = web.get(f"{CALENDAR}?date={local_day(start)}").get_data(as_text=True)
    for key in (str(venue.team[0].id), "unassigned"):
        assert re.search(r'class="cal-event cal-block cal-row-13 cal-span-4', column_html(page, key))
    assert "Lunch" in page


def test_a_booking_outside_the_opening_hours_widens_the_grid(web, provider, salon, customer):
    _venue, service = salon
    booking = book(customer, service, future_slot(hour=10))
    move = timedelta(hours=3)  # 07:00 local, before the 09:00 opening
    booking.starts_at, booking.ends_at, booking.blocks_until = (
        booking.starts_at - move,
        booking.ends_at - move,
        booking.blocks_until - move,
    )
    db.session.flush()
    web.sign_in_as(provider)
    page = web.get(f"{CALENDAR}?date={local_day(booking.starts_at)}").get_data(as_text=True)
    assert "cal-row-1 cal-span-4" in event_html(page, booking.id)
    assert ">07:00<" in page


def test_navigation_has_real_links_and_htmx_gets_only_the_calendar(web, provider, booking):
    web.sign_in_as(provider)
    day = date.fromisoformat(local_day(booking.starts_at))
    page = web.get(f"{CALENDAR}?date={day}").get_data(as_text=True)
    for target in (day - timedelta(days=1), day + timedelta(days=1)):
        assert f'href="/provider/calendar?view=day&amp;date={target}"' in page
    assert 'hx-push-url="true"' in page
    assert f'href="/provider/calendar?view=week&amp;date={day}"' in page

    response = web.get(f"{CALENDAR}?date={day}", headers=HTMX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert fragment.lstrip().startswith('<div id="calendar"')
    assert "<html" not in fragment and 'aria-label="Main"' not in fragment
    assert f'data-booking-id="{booking.id}"' in fragment

    restore = web.get(f"{CALENDAR}?date={day}", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_the_dashboard_and_navbar_link_to_the_calendar(web, provider, salon):
    web.sign_in_as(provider)
    page = web.get("/provider").get_data(as_text=True)
    assert page.count('href="/provider/calendar"') >= 2


# -- one booking ------------------------------------------------------------------------------------


def test_the_booking_page_shows_everything_a_provider_needs(web, provider, booking, customer):
    customer.phone = "+44 20 7946 0000"
    db.session.flush()
    web.sign_in_as(provider)
    page = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    for text in (
        customer.name,
        customer.email,
        "+44 20 7946 0000",
        "Deep tissue massage",
        "Unassigned",
        "10:00–11:00",
        "£60.00",
        "Free cancellation up to 24 hours before",
        "Confirmed",
        booking.reference,
        "Paid and confirmed",  # the history, from the audit log
    ):
        assert text in page, text
    assert "once it has started" in page


def test_complete_and_no_show_wait_until_the_start(web, provider, booking):
    web.sign_in_as(provider)
    for action in ("complete", "no-show"):
        response = web.post(f"/provider/bookings/{booking.id}/{action}")
        assert response.status_code == 409
        assert "once it has started" in response.get_data(as_text=True)
    assert refreshed(booking).status == BookingStatus.CONFIRMED


def test_a_started_booking_can_be_marked_completed(web, provider, booking):
    move_to_past(booking)
    web.sign_in_as(provider)
    response = web.post(f"/provider/bookings/{booking.id}/complete")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/provider/bookings/{booking.id}"
    assert refreshed(booking).status == BookingStatus.COMPLETED
    page = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    assert "Marked completed" in page and provider.name in page
    assert web.post(f"/provider/bookings/{booking.id}/no-show").status_code == 409


def test_a_started_booking_can_be_marked_a_no_show_with_htmx(web, provider, booking):
    move_to_past(booking)
    web.sign_in_as(provider)
    response = web.post(f"/provider/bookings/{booking.id}/no-show", headers=HTMX)
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith('<div id="booking-panel"')
    toast = json.loads(response.headers["HX-Trigger"])["cw:toast"][0]
    assert toast["message"] == "Marked as a no-show."
    assert refreshed(booking).status == BookingStatus.NO_SHOW


def test_cancelling_needs_a_reason(web, provider, booking):
    web.sign_in_as(provider)
    response = web.post(f"/provider/bookings/{booking.id}/cancel", {"reason": "  "})
    assert response.status_code == 422
    assert "Give the customer a reason" in response.get_data(as_text=True)
    assert refreshed(booking).status == BookingStatus.CONFIRMED


def test_a_venue_cancellation_refunds_in_full_and_emails_both(web, provider, booking, customer, run_jobs, outbox):
    web.sign_in_as(provider)
    response = web.post(f"/provider/bookings/{booking.id}/cancel", {"reason": "Our therapist is ill."})
    assert response.status_code == 302
    booking = refreshed(booking)
    assert booking.status == BookingStatus.CANCELLED_BY_VENUE
    assert booking.refund_minor == booking.total_minor == 6000
    assert booking.cancel_reason == "Our therapist is ill."
    run_jobs()
    cancellations = [m for m in outbox if m.subject.startswith("Cancelled")]
    assert sorted(m.to[0] for m in cancellations) == sorted([customer.email, provider.email])
    assert all("Our therapist is ill." in m.body for m in cancellations)
    assert web.post(f"/provider/bookings/{booking.id}/cancel", {"reason": "Again"}).status_code == 409


# -- blocked time -----------------------------------------------------------------------------------


def slot_starts(service, day: date) -> set[str]:
    return {s.local_start("Europe/London").strftime("%H:%M") for s in get_slots(service, day)}


def block_data(day: date, start: str = "10:00", end: str = "12:00", **extra) -> dict:
    return {"date": day.isoformat(), "start": start, "end": end, "team_member_id": "", "reason": "Training", **extra}


def test_blocking_time_removes_slots_and_removing_the_block_restores_them(web, provider, salon):
    _venue, service = salon
    day = date.fromisoformat(local_day(future_slot(days=4)))
    assert {"09:30", "10:00", "11:00"} <= slot_starts(service, day)
    web.sign_in_as(provider)
    response = web.post("/provider/calendar/blocks", block_data(day))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/provider/calendar?view=day&date={day}"
    free = slot_starts(service, day)
    assert not {"09:15", "09:30", "10:00", "10:30", "11:00", "11:45"} & free
    assert {"09:00", "12:00"} <= free

    block = db.session.scalar(select(TimeBlock).where(TimeBlock.venue_id == salon[0].id))
    assert block.starts_at == datetime.combine(day, datetime.min.time().replace(hour=10), ZoneInfo("Europe/London"))
    page = web.get(f"{CALENDAR}?date={day}").get_data(as_text=True)
    assert f'data-block-id="{block.id}"' in page
    assert web.post(f"/provider/calendar/blocks/{block.id}/delete").status_code == 302
    assert {"09:30", "10:00", "11:00"} <= slot_starts(service, day)


def test_a_block_for_one_team_member_shows_in_their_column(web, provider, ctx):
    venue, service = make_bookable_venue(provider, team=2)
    first, second = venue.team
    day = date.fromisoformat(local_day(future_slot(days=4)))
    web.sign_in_as(provider)
    response = web.post("/provider/calendar/blocks", block_data(day, team_member_id=str(first.id)), headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == f"/provider/calendar?view=day&date={day}"
    page = response.get_data(as_text=True)
    assert "cal-block" in column_html(page, str(first.id))
    assert "cal-block" not in column_html(page, str(second.id))
    assert "10:00" in slot_starts(service, day)  # the other therapist is still free


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "12:00", "end": "10:00"}, "The end must be after the start."),
        ({"start": "10:00", "end": "10:00"}, "The end must be after the start."),
        ({"start": "25:00"}, "is not a time of day"),
        ({"end": ""}, "Enter the end time"),
        ({"date": "soon"}, "Not a valid date"),
        ({"team_member_id": "999999"}, "Not a valid choice"),
    ],
)
def test_a_bad_block_is_refused_and_saves_nothing(web, provider, salon, data, message):
    day = date.fromisoformat(local_day(future_slot(days=4)))
    web.sign_in_as(provider)
    response = web.post("/provider/calendar/blocks", block_data(day) | data)
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(TimeBlock).where(TimeBlock.venue_id == salon[0].id)) is None


def test_a_block_at_a_time_the_clocks_skip_is_refused(web, provider, salon):
    today = datetime.now(UTC).date()
    london = ZoneInfo("Europe/London")
    spring = next(
        d
        for d in (today + timedelta(days=n) for n in range(1, 400))
        if datetime.combine(d, datetime.min.time(), london).utcoffset()
        < datetime.combine(d, datetime.min.time().replace(hour=12), london).utcoffset()
    )
    web.sign_in_as(provider)
    response = web.post("/provider/calendar/blocks", block_data(spring, start="01:30", end="03:00"))
    assert response.status_code == 422
    assert "doesn't exist" in html.unescape(response.get_data(as_text=True))


def test_a_bad_block_with_htmx_swaps_only_the_form(web, provider, salon):
    day = date.fromisoformat(local_day(future_slot(days=4)))
    web.sign_in_as(provider)
    response = web.post("/provider/calendar/blocks", block_data(day, start="12:00", end="11:00"), headers=HTMX)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#block-form"
    assert response.get_data(as_text=True).lstrip().startswith('<section class="card mb-4" id="block-form"')


# -- the private feed -------------------------------------------------------------------------------


def test_the_feed_is_created_rotated_and_revoked(web, provider, booking, customer, client, app):
    web.sign_in_as(provider)
    assert web.post("/provider/calendar/feed").status_code == 302
    token = refreshed(booking.venue).calendar_token
    assert token and len(token) >= 43
    assert f"/calendar/{token}.ics" in web.get(CALENDAR).get_data(as_text=True)

    anonymous = app.test_client()
    response = anonymous.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR")
    assert f"UID:{booking.reference}@cozywish" in body
    assert customer.name in body.replace("\r\n ", "")

    assert web.post("/provider/calendar/feed", headers=HTMX).status_code == 200
    new_token = refreshed(booking.venue).calendar_token
    assert new_token != token
    assert anonymous.get(f"/calendar/{token}.ics").status_code == 404
    assert anonymous.get(f"/calendar/{new_token}.ics").status_code == 200

    assert web.post("/provider/calendar/feed/revoke").status_code == 302
    assert refreshed(booking.venue).calendar_token is None
    assert anonymous.get(f"/calendar/{new_token}.ics").status_code == 404


def test_the_feed_holds_recent_cancellations_and_only_this_venue(web, provider, booking, rival, app):
    lifecycle.cancel_by_venue(booking, actor=provider, reason="Closed for repairs")
    booking.venue.calendar_token = "t" * 43
    db.session.flush()
    body = app.test_client().get(f"/calendar/{'t' * 43}.ics").get_data(as_text=True)
    assert f"UID:{booking.reference}@cozywish" in body
    assert "STATUS:CANCELLED" in body
    assert rival.reference not in body


def test_unknown_feed_tokens_are_not_found(client, salon):
    assert client.get(f"/calendar/{'x' * 43}.ics").status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404


# -- CSRF -------------------------------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused(web, provider, booking):
    move_to_past(booking)
    web.sign_in_as(provider)
    day = date.fromisoformat(local_day(booking.starts_at))
    for path, data in (
        (f"/provider/bookings/{booking.id}/complete", {}),
        (f"/provider/bookings/{booking.id}/cancel", {"reason": "Ill"}),
        ("/provider/calendar/blocks", block_data(day)),
        ("/provider/calendar/feed", {}),
    ):
        assert web.post(path, data, csrf=False).status_code == 400, path
    assert refreshed(booking).status == BookingStatus.CONFIRMED
    assert refreshed(booking.venue).calendar_token is None


def test_a_venue_without_a_team_or_hours_still_has_a_calendar(web, provider, ctx):
    create_venue(provider, name="Fresh Start", category_id=None)
    db.session.flush()
    web.sign_in_as(provider)
    page = web.get(CALENDAR).get_data(as_text=True)
    assert ">08:00<" in page and ">19:00<" in page and ">20:00<" not in page
    assert 'aria-labelledby="cal-col-unassigned"' in page


def test_the_day_grids_unassigned_column_speaks_the_providers_language(web, provider, salon):
    web.sign_in_as(provider)
    spanish = web.get("/provider/calendar?view=day", headers={"Accept-Language": "es-ES,es;q=0.9"})
    english = web.get("/provider/calendar?view=day", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert 'id="cal-col-unassigned">Sin asignar</h3>' in spanish.get_data(as_text=True)
    assert 'id="cal-col-unassigned">Unassigned</h3>' in english.get_data(as_text=True)
