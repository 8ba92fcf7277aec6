"""Packages (docs/packages.md): a venue's course of N sessions is bought through the Demo gateway
like any order; checkout covers the customer's bookings of that service while sessions are left
and the package runs; a cancellation in time gives the session back, a late one doesn't; an order
released unpaid gives its sessions back; the venue is paid at the sale, less commission, and can
refund the sessions left."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.booking import cart, lifecycle
from app.booking.models import Booking, BookingStatus, OrderStatus
from app.booking.order_lifecycle import expire_holds
from app.checkout import checkout
from app.clients.models import VenueClient
from app.packages import service
from app.packages.models import Package, PackageHolding, PackageSession
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import Payment, Refund
from app.payments.refunds import refund_order
from app.platform.errors import InvalidTransition, NotFound, ValidationFailed
from app.platform.extensions import db
from app.privacy.exports import build_archive
from app.venues.models import Venue
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.payouts.helpers import connect, transfers_of


@pytest.fixture
def venue_and_service(ctx, provider):
    venue, service_ = make_bookable_venue(provider, capacity=3)
    connect(venue)
    return venue, service_


@pytest.fixture
def package(venue_and_service) -> Package:
    venue, service_ = venue_and_service
    return service.save_offer(
        venue,
        service.OfferInput(
            service_id=service_.id,
            option_id=None,
            name="Five calm hours",
            sessions=5,
            valid_days=180,
            price_minor=25000,
        ),
    )


def buy(customer, package: Package) -> PackageHolding:
    holding = service.start_purchase(customer, package)
    assert pay_by_demo_card(holding.order) == "paid: bookings confirmed"
    db.session.flush()
    return holding


def left(holding: PackageHolding) -> int:
    db.session.expire_all()
    return service.left_of(holding, service.used_of([holding.id]).get(holding.id, 0))


def add(customer, service_, starts_at, *, quantity: int = 1):
    owner = cart.CartOwner(user_id=customer.id)
    return cart.add_item(owner, service_id=service_.id, starts_at=starts_at, quantity=quantity, team_member_id=None)


def check_out(customer, service_, starts_at, *, quantity: int = 1):
    add(customer, service_, starts_at, quantity=quantity)
    return checkout.checkout(customer)


# -- offers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sessions": 1}, "sessions"),
        ({"sessions": 51}, "sessions"),
        ({"valid_days": 3}, "valid_days"),
        ({"price_minor": 0}, "price"),
        ({"name": "  "}, "name"),
        ({"service_id": -1}, "service_id"),
        ({"option_id": -1}, "option_id"),
    ],
)
def test_a_bad_offer_is_refused_by_field_and_nothing_is_saved(venue_and_service, change, field):
    venue, service_ = venue_and_service
    data = {
        "service_id": service_.id,
        "option_id": None,
        "name": "Five",
        "sessions": 5,
        "valid_days": 90,
        "price_minor": 20000,
        **change,
    }
    with pytest.raises(ValidationFailed) as refused:
        service.save_offer(venue, service.OfferInput(**data))
    assert refused.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Package)) == 0


def test_another_venues_service_or_package_is_not_this_venues(venue_and_service, package, make_user):
    venue, _service = venue_and_service
    other, other_service = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    with pytest.raises(ValidationFailed):
        service.save_offer(
            venue,
            service.OfferInput(
                service_id=other_service.id, option_id=None, name="x", sessions=5, valid_days=90, price_minor=100
            ),
        )
    with pytest.raises(NotFound):
        service.get_offer(other.id, package.id)


# -- buying -----------------------------------------------------------------------------------------


def test_a_paid_package_starts_when_paid_and_a_replayed_event_changes_nothing(customer, package):
    holding = buy(customer, package)
    assert holding.paid_at is not None
    assert holding.expires_at == holding.paid_at + timedelta(days=180)
    assert (holding.name, holding.sessions, holding.price_minor) == ("Five calm hours", 5, 25000)
    first = holding.expires_at
    assert service.record_paid(holding.order, now=datetime.now(UTC) + timedelta(days=3)).expires_at == first
    assert left(holding) == 5
    [held] = service.held_by(customer.id, now=datetime.now(UTC))
    assert (held.left, held.state) == (5, "active")


def test_an_unpaid_package_covers_nothing_and_a_switched_off_one_is_not_sold(customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = service.start_purchase(customer, package)
    assert left(holding) == 0
    order = check_out(customer, service_, future_slot())
    assert order.bookings[0].unit_price_minor == service_.price_minor
    package.is_active = False
    with pytest.raises(InvalidTransition, match="isn't on sale"):
        service.start_purchase(customer, package)


def test_the_venue_is_paid_at_the_sale_less_commission(customer, package):
    holding = buy(customer, package)
    [transfer] = transfers_of(holding.order)
    assert transfer.venue_id == package.venue_id
    assert transfer.gross_minor == 25000
    assert transfer.commission_minor > 0 and transfer.transfer_minor == 25000 - transfer.commission_minor


# -- using ------------------------------------------------------------------------------------------


def test_a_covered_booking_costs_nothing_and_uses_one_session(customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    order = check_out(customer, service_, future_slot())
    booking = order.bookings[0]
    assert order.status == OrderStatus.PAID
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.unit_price_minor == 0 and order.total_minor == 0
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.order_id == order.id)) == 0
    assert transfers_of(order) == []  # the venue was paid when the package was sold
    assert left(holding) == 4
    [held] = service.held_by(customer.id, now=datetime.now(UTC))
    assert (held.used, held.left) == (1, 4)


def test_two_places_use_two_sessions_and_too_few_left_covers_nothing(customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    check_out(customer, service_, future_slot(days=2), quantity=2)
    check_out(customer, service_, future_slot(days=3), quantity=2)
    assert left(holding) == 1
    order = check_out(customer, service_, future_slot(days=4), quantity=2)
    assert order.bookings[0].unit_price_minor == service_.price_minor  # 1 left, 2 places: the usual price
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert left(holding) == 1


def test_an_expired_package_covers_nothing_and_the_cart_says_why(customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    holding.expires_at = datetime.now(UTC) - timedelta(days=1)
    db.session.flush()
    item = add(customer, service_, future_slot(), quantity=1)
    notes = service.cart_notes(customer.id, [item], now=datetime.now(UTC), zone_of=lambda _item: UTC)
    assert not notes[item.id].covered
    assert "ended on" in notes[item.id].text
    order = checkout.checkout(customer)
    assert order.bookings[0].unit_price_minor == service_.price_minor
    assert left(holding) == 5  # not used, only out of date
    assert service.held_by(customer.id, now=datetime.now(UTC))[0].state == "expired"


def test_a_visit_after_the_package_ends_is_not_covered(customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    holding.expires_at = datetime.now(UTC) + timedelta(days=2)
    db.session.flush()
    later = add(customer, service_, future_slot(days=5), quantity=1)
    sooner = add(customer, service_, future_slot(days=1))
    notes = service.cart_notes(customer.id, [later, sooner], now=datetime.now(UTC), zone_of=lambda _item: UTC)
    assert notes[sooner.id].covered and "4 of 5 left" in notes[sooner.id].text
    assert not notes[later.id].covered and "covers visits before" in notes[later.id].text
    order = checkout.checkout(customer)
    prices = sorted(b.unit_price_minor for b in order.bookings)
    assert prices == [0, service_.price_minor]
    assert left(holding) == 4


def test_another_customers_package_is_not_yours(customer, package, venue_and_service, make_user):
    _venue, service_ = venue_and_service
    buy(customer, package)
    other = make_user(email="other@example.com")
    order = check_out(other, service_, future_slot())
    assert order.bookings[0].unit_price_minor == service_.price_minor


# -- giving back ------------------------------------------------------------------------------------


def test_a_cancellation_in_time_gives_the_session_back(customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    booking = check_out(customer, service_, future_slot(days=5)).bookings[0]
    booking.cancel_free_hours = 24
    assert left(holding) == 4
    lifecycle.cancel_by_customer(booking, customer=customer)
    db.session.flush()
    assert left(holding) == 5


def test_a_late_cancellation_keeps_the_session_used(customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    booking = check_out(customer, service_, future_slot(days=2)).bookings[0]
    booking.cancel_free_hours = 24 * 7  # free cancellation ended days ago
    booking.cancel_late_fee_percent = 50
    db.session.flush()
    lifecycle.cancel_by_customer(booking, customer=customer)
    db.session.flush()
    assert booking.status == BookingStatus.CANCELLED_BY_CUSTOMER
    assert left(holding) == 4


def test_a_venue_cancellation_always_gives_the_session_back(customer, provider, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    booking = check_out(customer, service_, future_slot(days=1)).bookings[0]
    booking.cancel_free_hours = 24 * 7
    lifecycle.cancel_by_venue(booking, actor=provider, reason="The therapist is ill")
    db.session.flush()
    assert left(holding) == 5


def test_an_order_released_unpaid_gives_its_sessions_back(customer, package, venue_and_service):
    """One booking covered, one not: the order waits for payment; left unpaid, its hold runs out
    and the session comes back."""
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    add(customer, service_, future_slot(days=4), quantity=3)
    add(customer, service_, future_slot(days=5), quantity=3)
    order = checkout.checkout(customer)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert sorted(b.unit_price_minor for b in order.bookings) == [0, service_.price_minor]
    assert left(holding) == 2
    expire_holds(datetime.now(UTC) + timedelta(hours=2))
    db.session.flush()
    assert left(holding) == 5
    sessions = db.session.scalars(select(PackageSession).where(PackageSession.order_id == order.id)).all()
    assert len(sessions) == 1 and sessions[0].returned_at is not None


# -- refunds by the venue ---------------------------------------------------------------------------


def test_the_venue_refunds_the_sessions_left_once(customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    check_out(customer, service_, future_slot())
    check_out(customer, service_, future_slot(days=4))
    amount = service.check_refundable(holding, now=datetime.now(UTC))
    assert amount == 25000 * 3 // 5
    refund_order(holding.order, amount, reason="Unused package sessions")
    service.mark_refunded(holding, amount, now=datetime.now(UTC))
    db.session.flush()
    [refund] = db.session.scalars(select(Refund)).all()
    assert refund.amount_minor == 15000
    assert left(holding) == 0
    with pytest.raises(InvalidTransition, match="refunded already"):
        service.check_refundable(holding, now=datetime.now(UTC))
    order = check_out(customer, service_, future_slot(days=6))
    assert order.bookings[0].unit_price_minor == service_.price_minor  # a refunded package covers nothing


def test_a_used_up_package_has_nothing_to_refund(customer, package, venue_and_service):
    venue, service_ = venue_and_service
    small = service.save_offer(
        venue,
        service.OfferInput(
            service_id=service_.id, option_id=None, name="Two", sessions=2, valid_days=30, price_minor=9000
        ),
    )
    holding = buy(customer, small)
    check_out(customer, service_, future_slot(), quantity=2)
    with pytest.raises(InvalidTransition, match="Every session"):
        service.check_refundable(holding, now=datetime.now(UTC))
    assert isinstance(db.session.get(Venue, venue.id), Venue)


def test_the_customers_data_export_lists_their_packages_and_sessions(customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = buy(customer, package)
    booking = check_out(customer, service_, future_slot()).bookings[0]
    with zipfile.ZipFile(io.BytesIO(build_archive(customer))) as archive:
        packages = json.loads(archive.read("packages.json"))
        sessions = json.loads(archive.read("package_sessions.json"))
    assert [(row["id"], row["name"], row["sessions"]) for row in packages] == [(holding.id, "Five calm hours", 5)]
    assert [(row["holding_id"], row["booking_id"]) for row in sessions] == [(holding.id, booking.id)]


def test_the_client_book_shows_the_packages_a_client_holds_at_this_venue(
    web, provider, customer, package, venue_and_service
):
    venue, service_ = venue_and_service
    buy(customer, package)
    check_out(customer, service_, future_slot())
    client = db.session.scalar(
        select(VenueClient).where(VenueClient.venue_id == venue.id, VenueClient.user_id == customer.id)
    )
    db.session.commit()
    web.sign_in_as(provider)
    page = unescape(web.get(f"/provider/clients/{client.id}").get_data(as_text=True))
    assert "data-client-packages" in page
    assert "Five calm hours" in page and "4 of 5 left, until" in page


def test_the_front_desk_books_a_client_with_their_package(web, provider, customer, package, venue_and_service):
    """The desk books a client who holds a package: the booking uses a session and nothing is due."""
    venue, service_ = venue_and_service
    holding = buy(customer, package)
    check_out(customer, service_, future_slot(days=1))  # makes them a client of the venue
    client = db.session.scalar(
        select(VenueClient).where(VenueClient.venue_id == venue.id, VenueClient.user_id == customer.id)
    )
    db.session.commit()
    web.sign_in_as(provider)
    start = future_slot(days=3)
    response = web.post(
        "/provider/desk/new",
        {
            "service": service_.id,
            "member": "any",
            "date": start.date().isoformat(),
            "starts_at": start.isoformat(),
            "client_id": client.id,
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "with their package “Five calm hours”. £0.00 to pay at the venue" in unescape(
        response.get_data(as_text=True)
    )
    db.session.expire_all()
    desk = db.session.scalar(select(Booking).where(Booking.channel == "desk"))
    assert desk.unit_price_minor == 0 and desk.at_venue_minor == 0
    assert left(holding) == 3


# -- the front desk sells one -------------------------------------------------------------------------


def client_of(venue, user) -> VenueClient:
    return db.session.scalar(
        select(VenueClient).where(VenueClient.venue_id == venue.id, VenueClient.user_id == user.id)
    )


def test_the_desk_sells_a_package_paid_at_the_venue_and_ends_it_with_a_refund_there(
    web, provider, customer, package, venue_and_service
):
    venue, service_ = venue_and_service
    book(customer, service_, future_slot(days=1))
    client = client_of(venue, customer)
    db.session.commit()
    web.sign_in_as(provider)
    sold = web.post(f"/provider/clients/{client.id}/packages", {"package_id": package.id}, follow_redirects=True)
    assert sold.status_code == 200
    assert "Sold “Five calm hours” to" in unescape(sold.get_data(as_text=True))
    db.session.expire_all()
    holding = db.session.scalars(select(PackageHolding)).one()
    assert holding.sold_by_id == provider.id and holding.paid_at is not None and holding.expires_at is not None
    assert holding.order.status == OrderStatus.PAID
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.order_id == holding.order_id)) == 0
    assert transfers_of(holding.order) == []  # paid at the venue: nothing to send it
    order = check_out(customer, service_, future_slot(days=3))
    assert order.status == OrderStatus.PAID and order.bookings[0].unit_price_minor == 0
    db.session.commit()
    ended = web.post(f"/provider/packages/sold/{holding.id}/refund", {}, follow_redirects=True)
    assert "give the client £200.00 back at the desk for 4 unused sessions" in unescape(ended.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
    assert left(holding) == 0


@pytest.mark.parametrize(
    ("package_id", "status", "message"), [("", 422, "Choose one of your packages"), ("abc", 422, "Choose one")]
)
def test_the_desk_refuses_a_bad_package_and_sells_nothing(
    web, provider, customer, package, venue_and_service, package_id, status, message
):
    venue, service_ = venue_and_service
    book(customer, service_, future_slot(days=1))
    client = client_of(venue, customer)
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post(f"/provider/clients/{client.id}/packages", {"package_id": package_id})
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PackageHolding)) == 0


def test_the_desk_cannot_sell_to_a_walk_in_or_another_venues_package(
    web, provider, package, venue_and_service, make_user
):
    from app.clients import service as clients

    venue, _service = venue_and_service
    walk_in = clients.add_client(venue.id, name="Walk In")
    other, other_service = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    theirs = service.save_offer(
        other,
        service.OfferInput(
            service_id=other_service.id, option_id=None, name="Theirs", sessions=3, valid_days=30, price_minor=900
        ),
    )
    db.session.commit()
    web.sign_in_as(provider)
    refused = web.post(f"/provider/clients/{walk_in.id}/packages", {"package_id": package.id})
    assert refused.status_code == 422 and "CozyWish account" in unescape(refused.get_data(as_text=True))
    assert web.post(f"/provider/clients/{walk_in.id}/packages", {"package_id": theirs.id}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(PackageHolding)) == 0


def test_the_order_page_says_the_package_paid_and_its_cancellation_rule(web, customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    buy(customer, package)
    order = check_out(customer, service_, future_slot(days=3))
    db.session.commit()
    web.sign_in_as(customer)
    page = unescape(web.get(f"/orders/{order.id}").get_data(as_text=True))
    assert "Paid with your package “Five calm hours”" in page
    assert "the session goes back to your package; after that, it is used." in page


def test_the_cart_shows_what_the_package_pays_and_that_nothing_is_left_to_pay(
    web, customer, package, venue_and_service
):
    _venue, service_ = venue_and_service
    buy(customer, package)
    add(customer, service_, future_slot(days=3))
    db.session.commit()
    web.sign_in_as(customer)
    page = unescape(web.get("/cart").get_data(as_text=True))
    assert "data-covered-total>£0.00<" in page
    assert "Paid by your packages" in page and "−£60.00" in page
    assert "data-cart-to-pay>£0.00<" in page
    assert "checking out confirms it at once, with nothing to pay" in page
    assert "the session goes back to your package; after that, it is used." in page


def test_the_return_page_waits_for_the_payment_then_moves_on_to_my_packages(web, customer, package):
    holding = service.start_purchase(customer, package)
    db.session.commit()
    web.sign_in_as(customer)
    waiting = web.get(f"/payments/return/{holding.order_id}")
    assert waiting.status_code == 200 and "Confirming your payment" in waiting.get_data(as_text=True)
    assert pay_by_demo_card(holding.order) == "paid: bookings confirmed"
    db.session.commit()
    paid = web.get(f"/payments/return/{holding.order_id}")
    assert paid.status_code == 303 and paid.headers["Location"].endswith("/account/packages")
    polled = web.get(f"/payments/return/{holding.order_id}", headers={"HX-Request": "true"})
    assert polled.status_code == 204 and polled.headers["HX-Redirect"].endswith("/account/packages")


def test_a_cached_cart_lasts_no_longer_than_the_package_it_names(app, customer, package):
    """The cart's copy changes by itself when a package ends: ``follow_cart`` names that moment."""
    import time

    from flask import g

    from app.booking.views.cart import follow_cart

    holding = buy(customer, package)
    holding.expires_at = datetime.now(UTC) + timedelta(hours=2)
    db.session.flush()
    with app.test_request_context():
        g.private_page = {"versions": {}, "until": time.monotonic() + 86_400}
        follow_cart(customer.id, datetime.now(UTC))
        left = g.private_page["until"] - time.monotonic()
    assert 7_000 < left <= 7_200
