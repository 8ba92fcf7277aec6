"""Rebooking with the same person (issue 47, item 5): the booking page's ``?with=<team member>``
shows that person's free times (their next few first), picks them in the form and keeps them
through every link and fragment; "Book again" and "Book with <name>" lead there from a booking,
the payment's return page and the venue's team."""

from __future__ import annotations

import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.booking.models import Booking, CartItem
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import cache, db
from app.team_schedules.service import add_time_off
from app.venues.lists import add_team_member, remove_team_member, update_team_member
from app.venues.models import VenueSlug
from app.venues.service import save_service
from tests.booking.helpers import book, book_path, cart_form, future_slot, iso, make_bookable_venue, move_to_past
from tests.conftest import IsolatedClient
from tests.statements import statements_sent

LONDON = ZoneInfo("Europe/London")
SLOTS = {"HX-Request": "true", "HX-Target": "booking-slots"}
DETAILS = {"HX-Request": "true", "HX-Target": "slot-details"}


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def day_of(moment) -> str:
    return moment.astimezone(LONDON).date().isoformat()


def times_offered(page: str) -> list[str]:
    """The day's free times as the page lists them (the buttons of the "Free times" list)."""
    listed = page.split('aria-label="Free times"', 1)
    if len(listed) == 1:
        return []
    return re.findall(r">(\d\d:\d\d)<span", listed[1].split("</ul>", 1)[0])


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(CartItem)),
        db.session.scalar(select(func.count()).select_from(Booking)),
    )


@pytest.fixture
def spa(ctx, provider, make_user):
    """Calm Rooms: open 09:00-18:00, a 60-minute massage for two at once, done by Therapist 1
    and Therapist 2; Therapist 1 is booked at 10:00 three days ahead."""
    venue, service = make_bookable_venue(provider, capacity=2, team=2)
    first, second = venue.team
    start = future_slot(days=3, hour=10)
    book(make_user(role=Role.CUSTOMER), service, start, team_member_id=first.id)
    return venue, service, first, second, start


# -- the booking page with a person ------------------------------------------------------------


def test_the_day_offers_only_the_persons_free_times(web, spa):
    venue, service, first, second, start = spa
    day = day_of(start)
    everyone = times_offered(html(web.get(book_path(venue, service, day=day))))
    with_first = html(web.get(book_path(venue, service, day=day, **{"with": first.id})))
    with_second = html(web.get(book_path(venue, service, day=day, **{"with": second.id})))
    assert "10:00" in everyone and "10:00" in times_offered(with_second)
    assert "10:00" not in times_offered(with_first) and "11:00" in times_offered(with_first)
    assert "Booking with Therapist 1" in with_first and "Times with Therapist 1 on" in with_first
    # Every time, day and month link keeps the person; "Anyone available" drops them.
    assert f"with={first.id}" in with_first.split('aria-label="Free times"', 1)[1].split("</ul>", 1)[0]
    anyone = re.search(r'href="([^"]+)" data-anyone-available', with_first).group(1)
    assert "with=" not in anyone and f"day={day}" in anyone


def test_the_day_fragment_and_the_times_form_keep_the_person(web, spa):
    venue, service, first, _second, start = spa
    fragment = html(web.get(book_path(venue, service, day=day_of(start), **{"with": first.id}), headers=SLOTS))
    assert "<html" not in fragment and "Times with Therapist 1 on" in fragment
    assert "10:00" not in times_offered(fragment)
    assert fragment.count(f"with={first.id}") == 2 * len(times_offered(fragment)) > 0  # href and hx-get


def test_the_times_form_picks_the_person(web, spa, customer):
    venue, service, _first, second, start = spa
    web.sign_in_as(customer)
    form = html(web.get(book_path(venue, service, start=iso(start), **{"with": second.id}), headers=DETAILS))
    assert f'<option value="{second.id}" selected>' in form
    plain = html(web.get(book_path(venue, service, start=iso(start)), headers=DETAILS))
    assert f'<option value="{second.id}" selected>' not in plain


def test_a_time_the_person_is_busy_still_shows_its_form_for_someone_else(web, spa, customer):
    venue, service, first, second, start = spa
    web.sign_in_as(customer)
    form = html(web.get(book_path(venue, service, start=iso(start), **{"with": first.id}), headers=DETAILS))
    assert "no longer available" not in form
    assert f'<option value="{first.id}"' not in form and f'<option value="{second.id}" >' in form


def test_the_calendar_counts_only_the_days_the_person_is_free(web, spa):
    venue, service, first, second, _start = spa
    away = future_slot(days=5).astimezone(LONDON).date()
    add_time_off(first, kind="holiday", reason="", days=(away, away))
    month = away.strftime("%Y-%m")
    with_first = html(web.get(book_path(venue, service, month=month, **{"with": first.id})))
    with_second = html(web.get(book_path(venue, service, month=month, **{"with": second.id})))
    assert f'data-day="{away.isoformat()}" data-state="full"' in with_first
    assert f'data-day="{away.isoformat()}" aria-label' in with_second
    assert "Days when Therapist 1 is free are highlighted." in with_first


def test_the_persons_next_free_times_come_first(web, spa):
    venue, service, first, _second, start = spa
    page = html(web.get(book_path(venue, service, **{"with": first.id})))
    section = page.split("data-next-free>", 1)[1].split("</section>", 1)[0]
    assert "Next free times with Therapist 1" in section
    links = re.findall(r'href="([^"]+)"[^>]*data-next-free-time', section)
    assert len(links) == 5 and all(f"with={first.id}" in link and "start=" in link for link in links)
    # A fragment (a day's times) doesn't repeat them.
    day = book_path(venue, service, day=day_of(start), **{"with": first.id})
    assert "data-next-free>" not in html(web.get(day, headers=SLOTS))


def test_the_persons_page_sends_as_many_statements_for_more_bookings(web, spa, make_user):
    venue, service, first, _second, _start = spa
    path = book_path(venue, service, **{"with": first.id})

    def sent() -> list[str]:
        cache.clear()
        with statements_sent() as sql:
            assert web.get(path).status_code == 200
        return sql

    few = sent()
    for days, hour in ((1, 12), (2, 14), (4, 16), (9, 11)):  # in the month and the next free times
        book(make_user(role=Role.CUSTOMER), service, future_slot(days=days, hour=hour), team_member_id=first.id)
    more = sent()
    assert len(more) == len(few), "\n".join(["few:", *few, "more:", *more])


def test_an_old_slug_redirect_keeps_the_person(web, spa):
    venue, service, first, _second, _start = spa
    db.session.add(VenueSlug(slug="calm-rooms-old", venue_id=venue.id))
    db.session.flush()
    response = web.get(f"/venues/calm-rooms-old/book/{service.id}?with={first.id}")
    assert response.status_code == 301
    assert response.location == f"/venues/{venue.slug}/book/{service.id}?with={first.id}"


# -- bad values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status", "message"),
    [
        ("abc", 400, "That team member can't be read"),
        ("-3", 400, "That team member can't be read"),
        ("1.5", 400, "That team member can't be read"),
        ("other_venue", 404, "That person is not on this venue's team."),
        ("not_doing_it", 404, "doesn't do this service"),
    ],
)
def test_a_person_the_page_cant_book_with_is_refused(web, spa, provider, make_user, value, status, message):
    venue, service, *_ = spa
    other_venue, _other = make_bookable_venue(make_user(role=Role.PROVIDER), team=1, name="Other Place")
    facial = save_service(
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
    faye = add_team_member(venue, name="Faye", title="", bio="", service_ids=[facial.id])
    db.session.flush()
    named = {"other_venue": other_venue.team[0].id, "not_doing_it": faye.id}.get(value, value)
    before = counts()
    response = web.get(book_path(venue, service, **{"with": named}))
    assert response.status_code == status
    assert message in html(response)
    assert counts() == before


def test_a_person_who_has_left_leaves_the_page_working_for_everyone(web, spa, provider):
    venue, service, _first, _second, start = spa
    lena_id = add_team_member(venue, name="Lena", title="", bio="", service_ids=[service.id]).id
    db.session.flush()
    db.session.expire(venue, ["team"])
    remove_team_member(venue, lena_id)
    db.session.flush()
    page = html(web.get(book_path(venue, service, day=day_of(start), **{"with": lena_id})))
    assert "no longer available here" in page
    assert "Booking with" not in page and "data-next-free>" not in page
    assert "10:00" in times_offered(page)  # everyone's times


# -- adding to the cart with the person --------------------------------------------------------


def test_the_person_picked_on_the_page_is_booked_end_to_end(web, spa, customer):
    venue, service, _first, second, start = spa
    web.sign_in_as(customer)
    form = html(web.get(book_path(venue, service, start=iso(start), **{"with": second.id})))
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    picked = re.search(r'<option value="(\d+)" selected>', form).group(1)
    response = web.post("/cart/items", cart_form(service, start, team_member_id=picked, csrf_token=token), csrf=False)
    assert response.status_code == 303
    [item] = db.session.scalars(select(CartItem).where(CartItem.service_id == service.id)).all()
    assert item.team_member_id == second.id
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    assert order.bookings[0].team_member_id == second.id


def test_the_cart_refuses_the_person_where_they_are_busy(web, spa, customer):
    _venue, service, first, _second, start = spa
    web.sign_in_as(customer)
    before = counts()
    refused = web.post("/cart/items", cart_form(service, start, team_member_id=first.id))
    assert 400 <= refused.status_code < 500
    assert counts() == before


# -- "Book again" and "Book with <name>" -----------------------------------------------------


def test_book_again_from_a_past_booking_keeps_the_person(web, spa, customer):
    venue, service, first, _second, _start = spa
    booking = book(customer, service, future_slot(days=4, hour=11), team_member_id=first.id)
    move_to_past(booking)
    web.sign_in_as(customer)
    page = html(web.get(f"/bookings/{booking.reference}"))
    target = f"/venues/{venue.slug}/book/{service.id}?with={first.id}"
    assert re.search(rf'href="{re.escape(target)}" data-book-again', page)
    assert re.search(rf'href="{re.escape(target)}" data-book-with', page)
    assert "Book with Therapist 1" in page


def test_book_again_forgets_a_person_who_no_longer_does_the_service(web, spa, customer):
    venue, service, first, _second, _start = spa
    booking = book(customer, service, future_slot(days=4, hour=11), team_member_id=first.id)
    update_team_member(venue, first.id, name=first.name, title="", bio="", service_ids=[])
    db.session.flush()
    web.sign_in_as(customer)
    page = html(web.get(f"/bookings/{booking.reference}"))
    assert f'href="/venues/{venue.slug}/book/{service.id}" data-book-again' in page
    assert "data-book-with" not in page


def test_the_payment_return_page_offers_to_book_with_the_same_person(web, spa, customer, run_jobs):
    venue, service, _first, second, _start = spa
    web.sign_in_as(customer)
    start = future_slot(days=6, hour=12)
    assert web.post("/cart/items", cart_form(service, start, team_member_id=second.id)).status_code == 303
    order_id = int(web.post("/checkout").location.rsplit("/", 1)[-1])
    paying = web.post(f"/orders/{order_id}/pay")
    session_id = re.search(r"/payments/demo/([^/]+)$", paying.location).group(1)
    declined = {"card_number": "4000 0000 0000 0002", "expiry": "12/34", "cvc": "123"}
    web.post(f"/payments/demo/{session_id}/pay", declined)
    run_jobs()
    page = html(web.get(f"/payments/return/{order_id}"))
    target = f"/venues/{venue.slug}/book/{service.id}?with={second.id}"
    assert "Your payment didn't go through" in page
    assert re.search(rf'href="{re.escape(target)}" data-book-again', page)
    assert "Book with Therapist 2" in page


def test_the_venue_pages_team_offers_to_book_with_each_person(web, spa):
    venue, service, first, second, _start = spa
    page = html(web.get(f"/venues/{venue.slug}"))
    for member in (first, second):
        assert f'href="/venues/{venue.slug}/book/{service.id}?with={member.id}" data-book-with' in page
        assert f"Book with {member.name}" in page


def test_the_book_with_words_speak_spanish(web, spa):
    venue, service, first, _second, _start = spa
    page = html(web.get(book_path(venue, service, **{"with": first.id}), headers={"Accept-Language": "es-ES,es;q=0.9"}))
    assert "Reservando con Therapist 1" in page and "Cualquier profesional disponible" in page
    assert "Próximas horas libres con Therapist 1" in page


# -- the page cache --------------------------------------------------------------------------------


def test_the_page_cache_keeps_each_persons_page_apart(app, ctx, make_user, page_cache):
    venue, service = make_bookable_venue(make_user(role=Role.PROVIDER), capacity=2, team=2, name="Juniper Rooms")
    first, second = venue.team
    start = future_slot(days=3, hour=10)
    book(make_user(role=Role.CUSTOMER), service, start, team_member_id=first.id)
    db.session.commit()
    anonymous = IsolatedClient(app, app.response_class, use_cookies=False)
    day = day_of(start)
    paths = {m.id: book_path(venue, service, day=day, **{"with": m.id}) for m in (first, second)}
    first_page = anonymous.get(paths[first.id], headers=SLOTS)
    second_page = anonymous.get(paths[second.id], headers=SLOTS)
    assert (first_page.headers["X-Page-Cache"], second_page.headers["X-Page-Cache"]) == ("miss", "miss")
    assert "10:00" not in times_offered(html(first_page)) and "10:00" in times_offered(html(second_page))
    again = anonymous.get(paths[first.id], headers=SLOTS)
    assert again.headers["X-Page-Cache"] == "hit" and again.get_data() == first_page.get_data()
    everyone = anonymous.get(book_path(venue, service, day=day), headers=SLOTS)
    assert everyone.headers["X-Page-Cache"] == "miss" and "10:00" in times_offered(html(everyone))


def test_the_carts_other_time_link_keeps_the_person_whose_time_was_taken(web, spa, customer, make_user):
    _venue, service, _first, second, _start = spa
    later = future_slot(days=3, hour=14)
    web.sign_in_as(customer)
    assert web.post("/cart/items", cart_form(service, later, team_member_id=second.id)).status_code in (302, 303)
    book(make_user(role=Role.CUSTOMER), service, later, team_member_id=second.id)  # taken meanwhile
    page = html(web.get("/cart"))
    assert "Choose another time" in page
    assert re.search(rf'href="/venues/{service.venue.slug}/book/{service.id}\?[^"]*with={second.id}"', page)
