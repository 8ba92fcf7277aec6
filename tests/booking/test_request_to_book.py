"""Per-service booking rules (app/venues/booking_rules.py) and request-to-book
(app/booking/requests.py, app/checkout/requests.py): the owner's form, the engine, cart and
checkout honouring the notice and advance, a booking keeping its rules, the rules shown before
paying, and accept / decline / lapse with its one full refund."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from app.booking import cart, requests
from app.booking.availability import find_slot, get_slots
from app.booking.errors import CartItemInvalid
from app.booking.models import Booking, BookingStatus
from app.booking.policy import describe_service_rules
from app.checkout import checkout
from app.checkout.requests import decline_request, lapse_requests
from app.payments.models import Refund
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.venues.booking_rules import BookingRules
from app.venues.service import save_service
from tests.booking.helpers import book, future_slot, make_bookable_venue

HTMX = {"HX-Request": "true"}


@pytest.fixture
def salon(ctx, provider):
    return make_bookable_venue(provider)


def set_rules(venue, service, **rules):
    fields = {
        "name": service.name,
        "description": "",
        "category_id": None,
        "duration_minutes": service.duration_minutes,
        "price_minor": service.price_minor,
        "capacity": service.capacity,
        "buffer_minutes": service.buffer_minutes,
        "is_active": True,
    }
    save_service(venue, service, **fields, rules=BookingRules(**rules))
    db.session.flush()


def refunds_of(booking) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.booking_id == booking.id)))


def refreshed(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# -- defaults and the migration's values ------------------------------------------------------------


def test_a_new_service_keeps_todays_behaviour(salon):
    _venue, service = salon
    assert (service.min_notice_minutes, service.max_advance_days) == (None, None)  # the platform's
    assert (service.cancel_free_hours, service.cancel_late_fee_percent) == (24, 50)
    assert service.request_to_book is False and service.request_window_hours == 24


def test_rows_written_without_the_rules_get_the_old_platform_values(salon):
    """What the migration gives existing services: the database's own defaults."""
    venue, _service = salon
    row = db.session.execute(
        text(
            "INSERT INTO services (venue_id, name, description, duration_minutes, price_minor, currency, capacity,"
            " buffer_minutes, is_active, position) VALUES (:venue, 'Old', '', 30, 100, 'GBP', 1, 0, true, 9)"
            " RETURNING min_notice_minutes, max_advance_days, request_to_book, request_window_hours"
        ),
        {"venue": venue.id},
    ).one()
    assert tuple(row) == (None, None, False, 24)


# -- the owner's form -----------------------------------------------------------------------------

RULES_FORM = {
    "name": "Deep tissue massage",
    "duration_minutes": "60",
    "price": "60.00",
    "capacity": "1",
    "buffer_minutes": "10",
    "is_active": "y",
    "payment_mode": "full",
    "booking_mode": "request",
    "request_window_hours": "12",
    "cancel_free_hours": "48",
    "cancel_late_fee_percent": "30",
    "min_notice": "3",
    "min_notice_unit": "hours",
    "max_advance_days": "30",
}


def test_the_owner_sets_the_rules_in_the_service_form(web, provider, salon):
    _venue, service = salon
    web.sign_in_as(provider)
    page = web.get(f"/provider/venue/services/{service.id}").get_data(as_text=True)
    assert "Booking rules" in page and 'name="booking_mode"' in page and 'name="min_notice"' in page
    response = web.post(f"/provider/venue/services/{service.id}", RULES_FORM)
    assert response.status_code in (200, 302, 303)
    service = refreshed(service)
    assert (service.cancel_free_hours, service.cancel_late_fee_percent) == (48, 30)
    assert (service.min_notice_minutes, service.max_advance_days, service.buffer_minutes) == (180, 30, 10)
    assert service.request_to_book is True and service.request_window_hours == 12


def test_an_empty_late_fee_means_no_cancellation_after_the_free_window(web, provider, salon):
    _venue, service = salon
    web.sign_in_as(provider)
    web.post(f"/provider/venue/services/{service.id}", {**RULES_FORM, "cancel_late_fee_percent": ""})
    assert refreshed(service).cancel_late_fee_percent is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cancel_free_hours", "721", "Free cancellation lasts between 0 and 720 hours"),
        ("cancel_free_hours", "-1", "Free cancellation lasts between 0 and 720 hours"),
        ("cancel_late_fee_percent", "101", "between 0 and 100%"),
        ("max_advance_days", "0", "between 1 and 730 days ahead"),
        ("max_advance_days", "999", "between 1 and 730 days ahead"),
        ("request_window_hours", "0", "between 1 and 168 hours"),
        ("request_window_hours", "200", "between 1 and 168 hours"),
        ("min_notice", "abc", "Enter a whole number."),
        ("cancel_free_hours", "", "Enter how many hours before the start cancelling is free"),
        ("request_window_hours", "", "Enter how many hours you have to accept a request."),
        ("booking_mode", "sometimes", "Choose instant booking or request to book."),
        ("min_notice_unit", "weeks", "Give the minimum notice in minutes or hours."),
        ("min_notice", "31", "The minimum notice is between 0 minutes and 30 days."),
    ],
)
def test_bad_rules_are_refused_with_a_message_and_change_nothing(web, provider, salon, field, value, message):
    _venue, service = salon
    web.sign_in_as(provider)
    form = {**RULES_FORM, field: value}
    if field == "min_notice" and value == "31":
        form["min_notice_unit"] = "hours"
        form["min_notice"] = str(31 * 24)
    response = web.post(f"/provider/venue/services/{service.id}", form, headers=HTMX)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    service = refreshed(service)
    assert (service.cancel_free_hours, service.min_notice_minutes, service.max_advance_days) == (24, None, None)
    assert service.request_to_book is False and service.buffer_minutes == 0


def test_the_notice_must_be_shorter_than_the_advance(web, provider, salon):
    _venue, service = salon
    web.sign_in_as(provider)
    form = {**RULES_FORM, "min_notice": "48", "min_notice_unit": "hours", "max_advance_days": "2"}
    response = web.post(f"/provider/venue/services/{service.id}", form, headers=HTMX)
    assert response.status_code == 422
    assert "The minimum notice must be shorter than how far ahead" in response.get_data(as_text=True)
    assert refreshed(service).max_advance_days is None


def test_empty_notice_and_advance_follow_the_platform(web, provider, salon, app, monkeypatch):
    venue, service = salon
    set_rules(venue, service, min_notice_minutes=180, max_advance_days=30)
    db.session.commit()
    web.sign_in_as(provider)
    form = {**RULES_FORM, "min_notice": "", "max_advance_days": ""}
    assert web.post(f"/provider/venue/services/{service.id}", form).status_code in (200, 302, 303)
    service = refreshed(service)
    assert (service.min_notice_minutes, service.max_advance_days) == (None, None)
    far = future_slot(days=200, hour=10)
    assert find_slot(service, far) is None  # the platform's 90 days
    monkeypatch.setitem(app.config, "BOOKING_MAX_ADVANCE_DAYS", 400)
    assert find_slot(service, far) is not None  # a deployment that allows more gets it


def test_the_platform_advance_is_a_ceiling(salon, app, monkeypatch):
    venue, service = salon
    set_rules(venue, service, max_advance_days=300)
    far = future_slot(days=200, hour=10)
    assert find_slot(service, far) is None  # the platform's 90 days win
    monkeypatch.setitem(app.config, "BOOKING_MAX_ADVANCE_DAYS", 400)
    assert find_slot(service, far) is not None


def test_the_use_case_refuses_what_the_form_refuses(salon):
    venue, service = salon
    with pytest.raises(ValidationFailed):
        set_rules(venue, service, cancel_late_fee_percent=150)
    with pytest.raises(ValidationFailed):
        set_rules(venue, service, min_notice_minutes=3 * 24 * 60, max_advance_days=3)


def test_another_venues_service_form_is_not_found(web, provider, salon, make_user):
    _other, theirs = make_bookable_venue(make_user(role="provider"), name="Elsewhere")
    web.sign_in_as(provider)
    assert web.post(f"/provider/venue/services/{theirs.id}", RULES_FORM).status_code == 404
    assert refreshed(theirs).request_to_book is False


# -- the engine, the cart and checkout use them -------------------------------------------------------


def test_the_engine_offers_no_time_inside_the_services_notice(salon):
    venue, service = salon
    start = future_slot(days=3, hour=10)
    now = start - timedelta(hours=5)
    assert find_slot(service, start, now=now) is not None
    set_rules(venue, service, min_notice_minutes=6 * 60)
    assert find_slot(service, start, now=now) is None
    assert all(slot.start >= now + timedelta(hours=6) for slot in get_slots(service, start.date(), now=now))


def test_the_engine_offers_no_time_past_the_services_advance(salon):
    venue, service = salon
    start = future_slot(days=20, hour=10)
    assert find_slot(service, start) is not None
    set_rules(venue, service, max_advance_days=10)
    assert find_slot(service, start) is None


def test_adding_a_time_inside_the_notice_is_refused_clearly(salon, customer):
    venue, service = salon
    set_rules(venue, service, min_notice_minutes=2 * 24 * 60, max_advance_days=90)
    owner = cart.CartOwner(user_id=customer.id)
    with pytest.raises(CartItemInvalid, match="needs at least 48 hours' notice"):
        cart.add_item(
            owner, service_id=service.id, starts_at=future_slot(days=1, hour=10), quantity=1, team_member_id=None
        )


def test_adding_a_time_past_the_advance_is_refused_clearly(salon, customer):
    venue, service = salon
    set_rules(venue, service, max_advance_days=5)
    owner = cart.CartOwner(user_id=customer.id)
    with pytest.raises(CartItemInvalid, match="at most 5 days ahead"):
        cart.add_item(
            owner, service_id=service.id, starts_at=future_slot(days=8, hour=10), quantity=1, team_member_id=None
        )


def test_a_crafted_post_inside_the_notice_is_a_4xx_and_adds_nothing(web, customer, salon):
    venue, service = salon
    set_rules(venue, service, min_notice_minutes=2 * 24 * 60)
    db.session.commit()
    web.sign_in_as(customer)
    start = future_slot(days=1, hour=10)
    form = {"service_id": str(service.id), "starts_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "quantity": "1"}
    response = web.post("/cart/items", form, headers=HTMX)
    assert 400 <= response.status_code < 500
    assert "notice" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(cart.CartItem)) == 0


def test_checkout_rechecks_the_notice(salon, customer):
    venue, service = salon
    start = future_slot(days=3, hour=10)
    cart.add_item(
        cart.CartOwner(user_id=customer.id), service_id=service.id, starts_at=start, quantity=1, team_member_id=None
    )
    set_rules(venue, service, min_notice_minutes=5 * 24 * 60, max_advance_days=90)  # changed after it was added
    with pytest.raises(Exception, match="notice"):
        checkout.checkout(customer)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


# -- a booking keeps its rules ------------------------------------------------------------------------


def test_a_booking_keeps_the_rules_it_was_made_under(salon, customer):
    venue, service = salon
    set_rules(
        venue, service, cancel_free_hours=48, cancel_late_fee_percent=20, request_to_book=True, request_window_hours=6
    )
    booking = book(customer, service, future_slot(days=3, hour=10))
    set_rules(venue, service, cancel_free_hours=2, cancel_late_fee_percent=None, request_to_book=False)
    booking = refreshed(booking)
    assert (booking.cancel_free_hours, booking.cancel_late_fee_percent) == (48, 20)
    assert booking.request_window_hours == 6 and booking.request_state == "pending"


def test_an_instant_service_makes_no_request(salon, customer):
    _venue, service = salon
    booking = book(customer, service, future_slot(days=3, hour=10))
    assert booking.request_state is None and booking.request_expires_at is None


# -- the customer sees the rules before paying ----------------------------------------------------------


def test_the_rules_are_described_for_customers(salon):
    venue, service = salon
    set_rules(
        venue, service, cancel_free_hours=24, cancel_late_fee_percent=50, request_to_book=True, request_window_hours=12
    )
    text = describe_service_rules(service)
    assert "Free cancellation up to 24 hours before; after that, a 50% fee." in text
    assert "Request to book: the venue confirms within 12 hours" in text


def test_the_venue_booking_and_cart_pages_show_the_rules(web, customer, salon):
    venue, service = salon
    set_rules(
        venue, service, request_to_book=True, request_window_hours=12, min_notice_minutes=180, max_advance_days=30
    )
    db.session.commit()
    promise = "Request to book: the venue confirms within 12 hours"
    assert promise in web.get(f"/venues/{venue.slug}").get_data(as_text=True)
    booking_page = web.get(f"/venues/{venue.slug}/book/{service.id}").get_data(as_text=True)
    assert promise in booking_page and "Book at least 3 hours ahead, up to 30 days ahead." in booking_page
    web.sign_in_as(customer)
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=3, hour=10),
        quantity=1,
        team_member_id=None,
    )
    db.session.commit()
    assert promise in web.get("/cart").get_data(as_text=True)


# -- request-to-book: accept, decline, lapse -----------------------------------------------------------


@pytest.fixture
def request_booking(salon, customer):
    venue, service = salon
    set_rules(venue, service, request_to_book=True, request_window_hours=6)
    return book(customer, service, future_slot(days=3, hour=10))


def test_a_paid_request_is_pending_and_holds_its_time(request_booking):
    booking = request_booking
    assert booking.status == BookingStatus.CONFIRMED and booking.request_state == "pending"
    assert booking.request_expires_at is not None
    assert abs(booking.request_expires_at - (datetime.now(UTC) + timedelta(hours=6))) < timedelta(minutes=5)
    assert find_slot(booking.service, booking.starts_at) is None  # the time is taken
    assert requests.pending_for_venue(booking.venue_id) == [booking]


def test_the_owner_accepts_a_request(web, provider, request_booking, customer, outbox, run_jobs):
    db.session.commit()
    web.sign_in_as(provider)
    listing = web.get("/provider/requests").get_data(as_text=True)
    assert request_booking.reference in listing
    response = web.post(f"/provider/bookings/{request_booking.id}/accept")
    assert response.status_code in (302, 303)
    booking = refreshed(request_booking)
    assert booking.request_state == "accepted" and booking.status == BookingStatus.CONFIRMED
    assert refunds_of(booking) == []
    run_jobs()
    assert any("accepted your request" in m.body for m in outbox if m.to == [customer.email])
    assert web.post(f"/provider/bookings/{booking.id}/accept").status_code == 409  # answered once
    assert request_booking.reference not in web.get("/provider/requests").get_data(as_text=True)


def test_the_owner_declines_a_request_and_the_customer_is_refunded_in_full(web, provider, request_booking):
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post(f"/provider/bookings/{request_booking.id}/decline")
    assert response.status_code in (302, 303)
    booking = refreshed(request_booking)
    assert booking.request_state == "declined" and booking.status == BookingStatus.CANCELLED_BY_VENUE
    [refund] = refunds_of(booking)
    assert refund.amount_minor == booking.paid_minor == 6000
    assert find_slot(booking.service, booking.starts_at) is not None  # the time is free again
    assert web.post(f"/provider/bookings/{booking.id}/decline").status_code == 409
    assert len(refunds_of(booking)) == 1


def test_a_request_lapses_once_even_if_the_job_runs_twice(request_booking, provider):
    booking = request_booking
    later = booking.request_expires_at + timedelta(minutes=1)
    assert lapse_requests(booking.request_expires_at - timedelta(minutes=1)) == 0  # not yet
    assert lapse_requests(later) == 1
    assert lapse_requests(later) == 0
    booking = refreshed(booking)
    assert booking.request_state == "lapsed" and booking.status == BookingStatus.CANCELLED_BY_VENUE
    assert [r.amount_minor for r in refunds_of(booking)] == [6000]
    with pytest.raises(InvalidTransition):
        requests.accept(booking, actor=provider)
    with pytest.raises(InvalidTransition):
        decline_request(booking, actor=provider)
    assert len(refunds_of(booking)) == 1


def test_an_expired_window_cannot_be_accepted(request_booking, provider):
    with pytest.raises(InvalidTransition):
        requests.accept(request_booking, actor=provider, now=request_booking.request_expires_at + timedelta(seconds=1))


def test_the_customer_sees_the_request_waiting(web, customer, request_booking):
    db.session.commit()
    web.sign_in_as(customer)
    page = web.get(f"/bookings/{request_booking.reference}").get_data(as_text=True)
    assert "Requested: waiting for the venue to accept" in page


def test_the_order_page_says_the_venue_will_confirm(web, customer, request_booking):
    db.session.commit()
    web.sign_in_as(customer)
    page = web.get(f"/orders/{request_booking.order_id}").get_data(as_text=True)
    assert "data-request-note" in page and "The venue confirms requests to book" in page
    assert "Request to book: the venue confirms within 6 hours" in page
