"""The customer's booking pages: choose a time, cart, checkout, confirm, my bookings, cancel."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.booking.models import Booking, BookingStatus, CartItem, Order, OrderStatus
from app.platform.extensions import db
from app.venues.models import Closure, VenueSlug, VenueStatus
from tests.booking.helpers import book_path, cart_form, future_slot, iso, make_bookable_venue
from tests.conftest import Browser, IsolatedClient, csrf_token
from tests.factories import PASSWORD
from tests.statements import statements_sent

LONDON = ZoneInfo("Europe/London")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def bookable(ctx, provider):
    """Calm Rooms: open 09:00-18:00 daily; one 60-minute massage at £60.00 for one person at a time."""
    return make_bookable_venue(provider)


@pytest.fixture
def roomy(ctx, provider):
    """The same venue, but three people fit in each slot."""
    return make_bookable_venue(provider, capacity=3)


@pytest.fixture
def other_web(app) -> Browser:
    """A second browser, for a second customer."""
    return Browser(IsolatedClient(app, app.response_class, use_cookies=True))


def html(response) -> str:
    """The body, with entities decoded so messages read as written ("can't", not "can&#39;t")."""
    return unescape(response.get_data(as_text=True))


def cart_items() -> list[CartItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(CartItem).order_by(CartItem.id)))


def orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(select(Order).order_by(Order.id)))


def book_and_confirm(web, user, service, start: datetime) -> Booking:
    """Sign in as ``user``, add ``start`` to the cart, check out and pay with the Demo gateway's
    test card, all through the pages; the settling job confirms."""
    from flask import current_app

    from app.platform.jobs import run_pending_jobs

    web.sign_in_as(user)
    assert web.post("/cart/items", cart_form(service, start)).status_code == 303
    checkout = web.post("/checkout")
    assert checkout.status_code == 303 and "/orders/" in checkout.location
    order_id = int(checkout.location.rsplit("/", 1)[-1])
    to_checkout = web.post(f"/orders/{order_id}/pay")
    assert to_checkout.status_code == 303 and "/payments/demo/" in to_checkout.location
    card = {"card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
    assert web.post(f"{to_checkout.location}/pay", card).status_code == 303
    with current_app.app_context():
        run_pending_jobs()
        db.session.commit()
    db.session.expire_all()
    return db.session.scalars(select(Booking).where(Booking.order_id == order_id)).one()


# -- choosing a time ---------------------------------------------------------------------------


def test_the_venue_page_links_each_service_to_its_booking_page(web, bookable):
    venue, service = bookable
    page = html(web.get(f"/venues/{venue.slug}"))
    assert f'href="/venues/{venue.slug}/book/{service.id}"' in page
    assert "Booking opens soon" not in page


def test_the_booking_page_renders_for_anonymous_visitors(web, bookable):
    venue, service = bookable
    response = web.get(book_path(venue, service))
    page = html(response)
    assert response.status_code == 200
    assert "<html" in page and "Book Deep tissue massage" in page and "£60.00" in page
    assert "Times shown in Europe/London" in page
    assert "Free cancellation up to 24 hours before; after that, a 50% fee." in page
    assert response.headers["Vary"].count("HX-Request") == 1


def test_the_calendar_marks_closed_days_for_screen_readers(web, bookable):
    venue, service = bookable
    open_day = future_slot(days=3).astimezone(LONDON).date()
    closed_day = open_day + timedelta(days=1)
    db.session.add(Closure(venue_id=venue.id, starts_on=closed_day, ends_on=closed_day, reason="Deep clean"))
    db.session.flush()

    page = html(web.get(book_path(venue, service, month=closed_day.strftime("%Y-%m"))))

    closed = re.search(
        rf'data-day="{closed_day.isoformat()}" data-state="full">\d+<span class="visually-hidden">([^<]*)', page
    )
    assert closed and "fully booked or closed" in closed.group(1)
    if open_day.month == closed_day.month:
        assert re.search(rf'href="[^"]*day={open_day.isoformat()}"[^>]*data-day="{open_day.isoformat()}"', page)


def test_choosing_a_day_lists_its_local_times_and_htmx_gets_only_the_slots_block(web, bookable):
    venue, service = bookable
    day = future_slot(days=3).astimezone(LONDON).date()

    full = html(web.get(book_path(venue, service, day=day.isoformat())))
    fragment_response = web.get(
        book_path(venue, service, day=day.isoformat()), headers={**HTMX, "HX-Target": "booking-slots"}
    )
    fragment = html(fragment_response)

    assert "<html" in full and "09:00" in full and "17:00" in full and "17:15" not in full
    assert "<html" not in fragment and "navbar" not in fragment
    assert "Times shown in Europe/London" in fragment and "09:00" in fragment
    assert f"start={iso(future_slot(days=3, hour=9))}" in fragment
    assert 'id="booking-calendar"' not in fragment  # only the slots block
    assert "HX-Target" in fragment_response.headers["Vary"]


def test_choosing_a_time_offers_only_the_team_members_free_then(web, ctx, provider, make_user):
    venue, service = make_bookable_venue(provider, capacity=2, team=2)
    start = future_slot(days=3, hour=11)
    book_and_confirm(web, make_user(), service, start)  # someone books a person at 11:00
    web.sign_out()
    db.session.expire_all()
    booked = db.session.scalars(select(Booking)).one()

    page = html(web.get(book_path(venue, service, start=iso(start)), headers={**HTMX, "HX-Target": "booking-slots"}))

    assert "Any available" in page
    free = next(m for m in venue.team if m.id != booked.team_member_id)
    assert f'<option value="{free.id}"' in page and free.name in page
    assert f'<option value="{booked.team_member_id}"' not in page
    assert 'max="1"' in page  # one place left at 11:00


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month": "2026-13"}, "Choose a month like"),
        ({"month": "soon"}, "Choose a month like"),
        ({"day": "2026-02-30"}, "Choose a day like"),
        ({"day": "26/11/2026"}, "Choose a day like"),
        ({"start": "tomorrow at ten"}, "can't be read"),
        ({"start": "2026-11-26T10:00:00"}, "can't be read"),  # no offset
    ],
)
def test_unreadable_dates_and_times_are_a_400_with_a_message(web, bookable, params, message):
    venue, service = bookable
    response = web.get(book_path(venue, service, **params))
    assert response.status_code == 400
    assert message in html(response)


def test_a_past_day_gets_a_clear_message(web, bookable):
    venue, service = bookable
    yesterday = datetime.now(LONDON).date() - timedelta(days=1)
    response = web.get(book_path(venue, service, day=yesterday.isoformat()))
    assert response.status_code == 200
    assert "That day has passed" in html(response)


def test_services_of_unapproved_venues_and_other_venues_are_not_found(web, ctx, bookable, make_user):
    venue, service = bookable
    _other_venue, other_service = make_bookable_venue(make_user(role="provider"), name="Other Place")
    assert web.get(f"/venues/{venue.slug}/book/{other_service.id}").status_code == 404
    assert web.get(f"/venues/{venue.slug}/book/99999999999999").status_code == 404
    venue.status = VenueStatus.SUSPENDED
    db.session.flush()
    assert web.get(book_path(venue, service)).status_code == 404
    assert web.post("/cart/items", cart_form(service, future_slot())).status_code == 422
    assert cart_items() == []


def test_an_old_slug_redirects_keeping_only_the_booking_choices(web, bookable):
    venue, service = bookable
    db.session.add(VenueSlug(slug="calm-rooms-old", venue_id=venue.id))
    db.session.flush()
    response = web.get(f"/venues/calm-rooms-old/book/{service.id}?day=2026-11-26&_external=1&_anchor=x")
    assert response.status_code == 301
    assert response.location == f"/venues/{venue.slug}/book/{service.id}?day=2026-11-26"


def test_venue_accounts_see_times_but_no_booking_form(web, bookable, provider):
    venue, service = bookable
    web.sign_in_as(provider)
    page = html(web.get(book_path(venue, service, start=iso(future_slot()))))
    assert "Venue and admin accounts can't book." in page and "Add to cart" not in page


# -- the cart ----------------------------------------------------------------------------------


def test_an_anonymous_cart_becomes_the_customers_on_sign_in(web, bookable, customer):
    _venue, service = bookable
    added = web.post("/cart/items", cart_form(service, future_slot()))
    assert added.status_code == 303 and added.location.endswith("/cart")
    [item] = cart_items()
    assert item.user_id is None and item.cart_token

    page = html(web.get("/cart"))
    assert "Deep tissue massage" in page and "Calm Rooms" in page and "Cart (1)" in page
    assert "Europe/London" in page and "it doesn't reserve the time" in page
    assert "Free cancellation up to 24 hours before" in page

    signed_in = web.post("/account/sign-in?next=/cart", {"email": customer.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.location.endswith("/cart")
    [item] = cart_items()
    assert item.user_id == customer.id and item.cart_token is None
    assert "Deep tissue massage" in html(web.get("/cart"))


def test_prices_come_from_the_server(web, roomy):
    _venue, service = roomy
    web.post("/cart/items", {**cart_form(service, future_slot(), quantity=2), "price": "1", "total": "0.01"})
    page = html(web.get("/cart"))
    assert "2 × £60.00" in page and "£120.00" in page
    assert "£0.01" not in page


def _other_team_member(make_user):
    _venue, service = make_bookable_venue(make_user(role="provider"), team=1, name="Other Place")
    return service.venue.team[0].id


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"quantity": 0}, 400, "Choose between 1 and 20 people."),
        ({"quantity": 21}, 400, "Choose between 1 and 20 people."),
        ({"quantity": "two"}, 400, "whole number"),
        ({"quantity": 4}, 422, "Only 3 places are left at that time."),
        ({"service_id": 99999999}, 422, "That service can't be booked."),
        ({"service_id": "x"}, 400, "That service can't be booked."),
        ({"team_member_id": "other-venue"}, 422, "doesn't perform this service"),
        ({"team_member_id": "abc"}, 400, "Choose a team member from the list."),
        ({"starts_at": "off-grid"}, 422, "no longer available"),
        ({"starts_at": "past"}, 422, "That time has passed."),
        ({"starts_at": "2026-11-26 ten o'clock"}, 400, "can't be read"),
        ({"starts_at": "9999-12-31T23:30:00Z"}, 400, "can't be read"),
        ({"starts_at": "0001-01-01T00:00:00+14:00"}, 400, "can't be read"),
    ],
)
def test_bad_cart_items_are_refused_with_a_message_and_nothing_is_added(web, roomy, make_user, change, status, message):
    _venue, service = roomy
    form = cart_form(service, future_slot())
    if change.get("team_member_id") == "other-venue":
        change = {"team_member_id": _other_team_member(make_user)}
    if change.get("starts_at") == "off-grid":
        change = {"starts_at": iso(future_slot() + timedelta(minutes=7))}
    if change.get("starts_at") == "past":
        change = {"starts_at": iso(future_slot(days=-2))}
    form.update({key: str(value) for key, value in change.items()})

    response = web.post("/cart/items", form)
    htmx_response = web.post("/cart/items", form, headers={**HTMX, "HX-Target": "slot-details"})

    assert response.status_code == status and message in html(response)
    assert htmx_response.status_code == status and message in html(htmx_response)
    assert "<html" not in html(htmx_response)
    assert cart_items() == []


def test_adding_with_htmx_answers_with_the_form_block_a_toast_and_the_new_count(web, bookable):
    _venue, service = bookable
    response = web.post("/cart/items", cart_form(service, future_slot()), headers={**HTMX, "HX-Target": "slot-details"})
    page = html(response)
    assert response.status_code == 200 and "<html" not in page
    assert "Added Deep tissue massage to your cart." in page
    assert 'id="nav-cart"' in page and 'hx-swap-oob="true"' in page and "Cart (1)" in page
    assert "cw:toast" in response.headers["HX-Trigger"]


def test_changing_the_quantity_recalculates_the_price(web, roomy):
    _venue, service = roomy
    web.post("/cart/items", cart_form(service, future_slot()))
    [item] = cart_items()

    response = web.post(f"/cart/items/{item.id}", {"quantity": "3"}, headers={**HTMX, "HX-Target": "cart"})
    too_many = web.post(f"/cart/items/{item.id}", {"quantity": "4"}, headers={**HTMX, "HX-Target": "cart"})

    page = html(response)
    assert response.status_code == 200 and "<html" not in page
    assert "3 × £60.00" in page and "£180.00" in page and "cw:toast" in response.headers["HX-Trigger"]
    assert too_many.status_code == 422 and "Only 3 places are left" in html(too_many)
    assert cart_items()[0].quantity == 3


def test_removing_the_last_item_shows_the_empty_cart(web, bookable):
    _venue, service = bookable
    web.post("/cart/items", cart_form(service, future_slot()))
    [item] = cart_items()
    response = web.post(f"/cart/items/{item.id}/delete")
    assert response.status_code == 303
    page = html(web.get("/cart"))
    assert "Your cart is empty." in page and "Discover venues" in page and "Cart (0)" in page
    assert cart_items() == []


def test_an_item_in_someone_elses_cart_cannot_be_changed(app, web, other_web, bookable, customer, make_user):
    _venue, service = bookable
    web.sign_in_as(customer)
    web.post("/cart/items", cart_form(service, future_slot()))
    [item] = cart_items()

    other_web.sign_in_as(make_user())
    assert other_web.post(f"/cart/items/{item.id}", {"quantity": "2"}).status_code == 404
    assert other_web.post(f"/cart/items/{item.id}/delete").status_code == 404
    anonymous = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    assert anonymous.post(f"/cart/items/{item.id}/delete").status_code == 404
    assert [(i.id, i.quantity) for i in cart_items()] == [(item.id, 1)]


def test_venue_and_admin_accounts_cannot_fill_a_cart(web, bookable, provider):
    _venue, service = bookable
    web.sign_in_as(provider)
    assert web.post("/cart/items", cart_form(service, future_slot())).status_code == 403
    assert web.get("/cart").status_code == 403
    assert "Cart (" not in html(web.get("/"))
    assert cart_items() == []


def test_a_post_without_its_csrf_token_is_refused(web, bookable, customer):
    _venue, service = bookable
    assert web.post("/cart/items", cart_form(service, future_slot()), csrf=False).status_code == 400
    web.sign_in_as(customer)
    assert web.post("/checkout", csrf=False).status_code == 400
    assert cart_items() == [] and orders() == []


# -- checkout and confirmation -----------------------------------------------------------------


def test_checking_out_anonymously_asks_to_sign_in_first(web, bookable):
    _venue, service = bookable
    web.post("/cart/items", cart_form(service, future_slot()))
    response = web.post("/checkout")
    assert response.status_code == 303
    assert response.location.endswith("/account/sign-in?next=/cart")
    assert orders() == []


def test_an_unverified_customer_cannot_check_out(web, bookable, make_user):
    _venue, service = bookable
    web.sign_in_as(make_user(email_verified_at=None))
    web.post("/cart/items", cart_form(service, future_slot()))

    response = web.post("/checkout")

    assert response.status_code == 303 and response.location.endswith("/cart")
    assert "Confirm your email address before booking" in html(web.get("/cart"))
    assert orders() == [] and len(cart_items()) == 1


def test_checkout_holds_the_times_and_the_order_page_counts_down(web, bookable, customer):
    _venue, service = bookable
    web.sign_in_as(customer)
    web.post("/cart/items", cart_form(service, future_slot()))

    response = web.post("/checkout")
    [order] = orders()

    assert response.status_code == 303 and response.location.endswith(f"/orders/{order.id}")
    page = html(web.get(f"/orders/{order.id}"))
    assert (
        f'<time datetime="{order.hold_expires_at.astimezone(UTC).isoformat(timespec="seconds")}" data-countdown' in page
    )
    assert "js/booking.js" in page
    assert "Held, waiting for payment" in page and "Deep tissue massage" in page and "£60.00" in page
    assert "Pay £60.00 securely" in page and "won't be charged now" not in page
    assert "Free cancellation up to 24 hours before" in page
    assert [b.status for b in order.bookings] == [BookingStatus.HELD]
    assert cart_items() == []


def test_confirming_books_with_references_and_emails_a_calendar_file(web, bookable, customer, run_jobs, outbox):
    _venue, service = bookable
    booking = book_and_confirm(web, customer, service, future_slot())

    page = html(web.get(f"/orders/{booking.order_id}"))
    run_jobs()

    assert booking.status == BookingStatus.CONFIRMED and booking.order.status == OrderStatus.PAID
    assert "You're booked" in page and booking.reference in page and "Pay £60.00 securely" not in page
    confirmation = [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Booked")][-1]
    assert confirmation.attachments[0][0].endswith(".ics")
    assert booking.reference in confirmation.attachments[0][1]


def test_an_expired_hold_cannot_be_confirmed(web, bookable, customer):
    _venue, service = bookable
    web.sign_in_as(customer)
    web.post("/cart/items", cart_form(service, future_slot()))
    web.post("/checkout")
    [order] = orders()
    order.hold_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.flush()

    response = web.post(f"/orders/{order.id}/pay")

    assert response.status_code == 409
    assert "The hold on these times has expired" in html(response)
    assert orders()[0].bookings[0].status == BookingStatus.HELD


def test_starting_the_payment_reads_the_orders_rows_once(web, bookable, customer):
    """Whose order it is, then the order under its lock: its bookings, venues and services are
    read after the lock only (before it, they would be read twice), in one statement."""
    _venue, service = bookable
    web.sign_in_as(customer)
    web.post("/cart/items", cart_form(service, future_slot()))
    web.post("/checkout")
    [order] = orders()
    token = csrf_token(web.client)  # read first: Browser.post fetches a page for it
    with statements_sent() as sent:
        response = web.client.post(f"/orders/{order.id}/pay", data={"csrf_token": token})
    assert response.status_code == 303
    reads = [" ".join(s.split()) for s in sent if s.startswith("SELECT")]
    [rows] = [r for r in reads if " JOIN bookings " in r or " FROM bookings " in r]
    assert all(f" JOIN {table} " in rows for table in ("venues", "services")), rows
    assert not [r for r in reads if " FROM venues " in r or " FROM services " in r], reads
    assert len([s for s in sent if s.startswith("SELECT orders.")]) == 2  # whose it is, then the lock


def test_the_second_customer_racing_for_the_last_place_is_refused_by_name(
    web, other_web, bookable, customer, make_user
):
    _venue, service = bookable
    start = future_slot()
    web.sign_in_as(customer)
    rival = make_user()
    other_web.sign_in_as(rival)
    for browser in (web, other_web):
        assert browser.post("/cart/items", cart_form(service, start)).status_code == 303

    first = web.post("/checkout")
    second = other_web.post("/checkout")

    assert "/orders/" in first.location
    assert second.status_code == 303 and second.location.endswith("/cart")
    page = html(other_web.get("/cart"))
    assert "Sorry, these are no longer available: Deep tissue massage at Calm Rooms" in page
    assert "No longer available:" in page
    assert [i.user_id for i in cart_items()] == [rival.id]
    assert len(orders()) == 1


def test_customers_cannot_see_each_others_orders_or_bookings(web, other_web, bookable, customer, make_user):
    _venue, service = bookable
    booking = book_and_confirm(web, customer, service, future_slot())
    other_web.sign_in_as(make_user())
    for path in (
        f"/orders/{booking.order_id}",
        f"/bookings/{booking.reference}",
        f"/bookings/{booking.reference}/calendar.ics",
        f"/bookings/{booking.reference}/cancel",
    ):
        assert other_web.get(path).status_code == 404, path
    assert other_web.post(f"/orders/{booking.order_id}/pay").status_code == 404
    assert other_web.post(f"/bookings/{booking.reference}/cancel").status_code == 404
    other_web.sign_out()
    anonymous = other_web.get(f"/bookings/{booking.reference}")
    assert anonymous.status_code == 302 and "/account/sign-in" in anonymous.location


# -- my bookings -------------------------------------------------------------------------------


def test_my_bookings_lists_upcoming_and_past_with_empty_states(web, bookable, customer):
    web.sign_in_as(customer)
    assert "No upcoming bookings." in html(web.get("/bookings"))
    _venue, service = bookable
    booking = book_and_confirm(web, customer, service, future_slot())

    upcoming = html(web.get("/bookings"))
    past = web.get("/bookings?tab=past", headers={**HTMX, "HX-Target": "bookings-list"})

    assert booking.reference in upcoming and "Deep tissue massage" in upcoming and "Confirmed" in upcoming
    assert "<html" not in html(past) and "No past bookings yet." in html(past)
    assert "My bookings" in upcoming


def test_the_booking_page_shows_a_qr_code_and_links(web, bookable, customer):
    venue, service = bookable
    booking = book_and_confirm(web, customer, service, future_slot())

    page = html(web.get(f"/bookings/{booking.reference.lower()}"))

    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert 'class="segno"' in svg and "<script" not in svg
    assert "style=" not in page  # strict CSP: no inline styles anywhere on the page
    assert f"/bookings/{booking.reference}/calendar.ics" in page
    assert f'href="/venues/{venue.slug}/book/{service.id}"' in page  # book again
    assert f"/bookings/{booking.reference}/cancel" in page


def test_the_calendar_file_downloads(web, bookable, customer):
    _venue, service = bookable
    start = future_slot()
    booking = book_and_confirm(web, customer, service, start)

    response = web.get(f"/bookings/{booking.reference}/calendar.ics")

    body = html(response)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="cozywish-{booking.reference}.ics"'
    assert body.startswith("BEGIN:VCALENDAR") and f"UID:{booking.reference}@cozywish" in body
    assert f"DTSTART:{start.strftime('%Y%m%dT%H%M%SZ')}" in body and "SUMMARY:Deep tissue massage" in body


# -- cancelling --------------------------------------------------------------------------------


def test_cancelling_inside_the_free_window_refunds_in_full(web, bookable, customer):
    _venue, service = bookable
    booking = book_and_confirm(web, customer, service, future_slot(days=5))

    quote = html(web.get(f"/bookings/{booking.reference}/cancel"))
    done = web.post(f"/bookings/{booking.reference}/cancel")

    assert "Refund due" in quote and "£60.00" in quote and "Cancellation fee" not in quote
    assert done.status_code == 303
    assert "Refund due: £60.00 — on its way back to your card" in html(web.get(done.location))
    db.session.expire_all()
    assert booking.status == BookingStatus.CANCELLED_BY_CUSTOMER and booking.refund_minor == 6000


def test_cancelling_after_the_free_window_charges_the_late_fee(web, bookable, customer):
    _venue, service = bookable
    service.cancel_free_hours = 200  # the appointment, three days out, is inside the fee window
    db.session.flush()
    booking = book_and_confirm(web, customer, service, future_slot(days=3))

    quote = html(web.get(f"/bookings/{booking.reference}/cancel"))
    done = web.post(f"/bookings/{booking.reference}/cancel")

    assert "after that, a 50% fee" in quote
    assert re.search(r"Cancellation fee</dt><dd[^>]*>£30.00", quote)
    assert re.search(r"Refund due</dt><dd[^>]*>£30.00", quote)
    assert "Refund due: £30.00" in html(web.get(done.location))
    db.session.expire_all()
    assert booking.refund_minor == 3000


def test_a_booking_without_late_cancellation_is_refused_after_the_window(web, bookable, customer):
    _venue, service = bookable
    service.cancel_free_hours = 200
    service.cancel_late_fee_percent = None
    db.session.flush()
    booking = book_and_confirm(web, customer, service, future_slot(days=3))

    quote = html(web.get(f"/bookings/{booking.reference}/cancel"))
    refused = web.post(f"/bookings/{booking.reference}/cancel")

    assert "This booking can't be cancelled." in quote
    assert "Free cancellation ended 200 hours before the start." in quote
    assert refused.status_code == 422 and "Free cancellation ended 200 hours before the start." in html(refused)
    db.session.expire_all()
    assert booking.status == BookingStatus.CONFIRMED
