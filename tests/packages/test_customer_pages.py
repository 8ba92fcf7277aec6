"""The customer's package pages (app/packages/views/customer.py): the venue page lists a venue's
packages; a package's page says what it is and sells it; buying goes through the Demo gateway
like a tip and comes back to My packages; the cart says what a package will pay for, and
checkout then books the treatment for £0. Bad input is a 4xx with a message and holds nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.booking import cart
from app.booking.models import Booking, BookingStatus, Order, OrderStatus
from app.checkout import checkout
from app.packages import service
from app.packages.models import Package, PackageHolding
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.venues.models import ServiceOption
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.conftest import Browser
from tests.payouts.helpers import connect

PAYS = "4242 4242 4242 4242"
DEMO_PAGE_RE = re.compile(r"/payments/demo/(demo_cs_[A-Za-z0-9_-]+)$")


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


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def buy_path(package: Package) -> str:
    return f"/packages/{package.id}/buy"


def until(holding: PackageHolding) -> str:
    """The package's last day as My packages writes it: "27 May 2027", in the venue's zone."""
    day = holding.expires_at.astimezone(venue_zone(holding.venue)).date()
    return f"{day.day} {day:%b %Y}"


def bought(customer, package: Package) -> PackageHolding:
    holding = service.start_purchase(customer, package)
    assert pay_by_demo_card(holding.order) == "paid: bookings confirmed"
    db.session.flush()
    return holding


# -- the venue page and the package page --------------------------------------------------------------


def test_the_venue_page_lists_its_packages(web, package, venue_and_service):
    venue, _service = venue_and_service
    page = html(web.get(f"/venues/{venue.slug}"))
    assert "data-packages" in page and "Five calm hours" in page
    assert "5 sessions of Deep tissue massage, to use within 180 days" in page
    assert "£250.00" in page and "usually £300.00" in page  # 5 × £60 one by one
    assert f"/packages/{package.id}" in page


def test_a_switched_off_package_is_not_listed(web, package, venue_and_service):
    package.is_active = False
    db.session.flush()
    venue, _service = venue_and_service
    page = html(web.get(f"/venues/{venue.slug}"))
    assert "data-packages" not in page and "Five calm hours" not in page


def test_the_package_page_asks_a_visitor_to_sign_in(web, package):
    response = web.get(f"/packages/{package.id}")
    page = html(response)
    assert response.status_code == 200
    assert "Five calm hours" in page and "usually £300.00" in page and "Calm Rooms" in page
    assert "Cancel in time and the session comes back; a late cancellation uses it." in page
    assert "Sign in to buy" in page and f"next=/packages/{package.id}" in page.replace("%2F", "/")
    assert "data-package-buy" not in page


def test_the_package_page_sells_to_a_signed_in_customer(web, customer, package):
    web.sign_in_as(customer)
    page = html(web.get(f"/packages/{package.id}"))
    assert "data-package-buy" in page and "Buy for £250.00" in page and "Sign in to buy" not in page


def test_a_switched_off_package_page_says_so(web, customer, package):
    package.is_active = False
    db.session.flush()
    web.sign_in_as(customer)
    page = html(web.get(f"/packages/{package.id}"))
    assert "isn't on sale any more" in page and "data-package-buy" not in page


# -- buying, then using it ------------------------------------------------------------------------------


def test_bought_by_demo_card_then_a_booking_of_it_costs_nothing(web, customer, package, venue_and_service, run_jobs):
    _venue, service_ = venue_and_service
    web.sign_in_as(customer)
    response = web.post(buy_path(package))
    assert response.status_code == 303, html(response)
    session_id = DEMO_PAGE_RE.search(response.location).group(1)
    holding = db.session.scalar(select(PackageHolding))
    assert holding.order.status == OrderStatus.PENDING_PAYMENT and holding.order.total_minor == 25000
    assert holding.paid_at is None

    paid = web.post(f"/payments/demo/{session_id}/pay", {"card_number": PAYS, "expiry": "12/34", "cvc": "123"})
    assert paid.status_code == 303
    run_jobs()
    db.session.expire_all()
    holding = db.session.scalar(select(PackageHolding))
    assert holding.order.status == OrderStatus.PAID and holding.expires_at is not None
    back = web.get(paid.location)  # the return page sends a package to My packages
    assert back.status_code == 303 and back.location.endswith("/account/packages")
    mine = html(web.get(back.location))
    assert "Five calm hours" in mine and f"5 of 5 left, until {until(holding)}" in mine
    assert f"/venues/{holding.venue.slug}/book/{service_.id}" in mine  # Book a session

    # The cart says the package pays for the treatment; checkout then takes nothing.
    added = web.post("/cart/items", cart_form(service_, future_slot()))
    assert added.status_code == 303
    in_cart = html(web.get("/cart"))
    assert "data-package-note" in in_cart
    assert "Covered by your package “Five calm hours”: 4 of 5 left after this." in in_cart
    checked_out = web.post("/checkout")
    assert checked_out.status_code == 303, html(checked_out)
    db.session.expire_all()
    booking = db.session.scalar(select(Booking))
    assert booking.status == BookingStatus.CONFIRMED and booking.order.status == OrderStatus.PAID
    assert booking.order.total_minor == 0 and booking.online_minor == 0
    assert service.session_of_booking(booking.id) is not None
    mine = html(web.get("/account/packages"))
    assert f"4 of 5 left, until {until(holding)}" in mine


def test_my_bookings_links_to_my_packages(web, customer):
    web.sign_in_as(customer)
    page = html(web.get("/bookings"))
    assert "data-my-packages" in page and "/account/packages" in page
    empty = html(web.get("/account/packages"))
    assert "You haven't bought a package yet." in empty


def test_my_packages_says_how_each_ended(web, customer, package, venue_and_service):
    venue, service_ = venue_and_service
    now = datetime.now(UTC)
    ended, refunded = bought(customer, package), bought(customer, package)
    ended.expires_at = now - timedelta(days=1)
    refunded.refunded_at = now
    pair = service.save_offer(
        venue,
        service.OfferInput(
            service_id=service_.id, option_id=None, name="Two for two", sessions=2, valid_days=30, price_minor=10000
        ),
    )
    bought(customer, pair)
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service_.id,
        starts_at=future_slot(),
        quantity=2,
        team_member_id=None,
    )
    order = checkout.checkout(customer)  # two places: the pair's two sessions
    assert order.status == OrderStatus.PAID and order.total_minor == 0
    web.sign_in_as(customer)
    page = html(web.get("/account/packages"))
    assert f"Ended on {until(ended)}" in page and "Refunded" in page and "All used" in page
    assert "Book a session" not in page  # none is still running with sessions left


def test_a_cart_item_after_the_package_ends_pays_the_usual_price(web, customer, package, venue_and_service):
    _venue, service_ = venue_and_service
    holding = bought(customer, package)
    holding.expires_at = datetime.now(UTC) + timedelta(days=1)
    db.session.flush()
    web.sign_in_as(customer)
    assert web.post("/cart/items", cart_form(service_, future_slot(days=3))).status_code == 303
    in_cart = html(web.get("/cart"))
    assert "this one is later, so the usual price applies" in in_cart and "Covered by" not in in_cart


# -- refusals -----------------------------------------------------------------------------------------


def test_an_unknown_package_is_not_found(web, customer, ctx):
    web.sign_in_as(customer)
    assert web.get("/packages/999999").status_code == 404
    assert web.post("/packages/999999/buy").status_code == 404
    assert count(Order) == 0


def test_a_switched_off_package_is_refused_and_nothing_held(web, customer, package):
    package.is_active = False
    db.session.flush()
    web.sign_in_as(customer)
    response = web.post(buy_path(package))
    assert response.status_code == 409 and "This package isn't on sale any more." in html(response)
    assert count(Order) == 0 and count(PackageHolding) == 0


def test_a_venue_that_cannot_be_paid_yet_sells_none(app, web, customer, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)  # as production: payouts first
    venue, service_ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Unpaid Rooms")  # no payout account
    package = service.save_offer(
        venue,
        service.OfferInput(
            service_id=service_.id, option_id=None, name="Not yet", sessions=3, valid_days=60, price_minor=15000
        ),
    )
    web.sign_in_as(customer)
    assert "Not yet" not in html(web.get(f"/venues/{venue.slug}"))
    page = html(web.get(f"/packages/{package.id}"))
    assert "can't take online payments yet" in page and "data-package-buy" not in page
    response = web.post(buy_path(package))
    assert response.status_code == 409 and "hasn't finished setting up how it gets paid" in html(response)
    assert count(Order) == 0 and count(PackageHolding) == 0


def test_a_visitor_is_sent_to_sign_in(web, package):
    response = web.post(buy_path(package))
    assert response.status_code == 303
    target = urlsplit(response.location)
    assert target.path == "/account/sign-in" and parse_qs(target.query)["next"] == [f"/packages/{package.id}"]
    assert count(Order) == 0


def test_an_unverified_customer_is_refused_as_for_gift_vouchers(web, customer, package):
    customer.email_verified_at = None
    db.session.flush()
    web.sign_in_as(customer)
    response = web.post(buy_path(package))
    assert response.status_code == 422 and "Confirm your email address before buying" in html(response)
    assert count(Order) == 0 and count(PackageHolding) == 0


def test_a_venue_account_cannot_buy(app, make_user, package):
    owner = Browser.own(app, make_user(role=Role.PROVIDER))
    assert owner.post(buy_path(package)).status_code == 403
    assert count(Order) == 0


# -- services with options ------------------------------------------------------------------------------


@pytest.fixture
def options(venue_and_service):
    _venue, service_ = venue_and_service
    short = ServiceOption(service_id=service_.id, name="60 min", price_minor=6000, duration_minutes=60, position=0)
    long = ServiceOption(service_id=service_.id, name="90 min", price_minor=9000, duration_minutes=90, position=1)
    db.session.add_all([short, long])
    db.session.flush()
    db.session.expire(service_, ["options"])
    return short, long


def test_a_package_of_one_option_is_listed_with_that_options_price(web, venue_and_service, options):
    venue, service_ = venue_and_service
    _short, long = options
    db.session.add(
        Package(
            venue_id=venue.id,
            service_id=service_.id,
            option_id=long.id,
            name="Long hours",
            sessions=5,
            valid_days=90,
            price_minor=40000,
            currency="GBP",
        )
    )
    db.session.flush()
    page = html(web.get(f"/venues/{venue.slug}"))
    assert "5 sessions of Deep tissue massage (90 min), to use within 90 days" in page
    assert "usually £450.00" in page


def test_a_package_of_any_option_is_worth_the_cheapest_one(web, venue_and_service, options):
    venue, service_ = venue_and_service
    db.session.add(
        Package(
            venue_id=venue.id,
            service_id=service_.id,
            option_id=None,
            name="Any length",
            sessions=5,
            valid_days=90,
            price_minor=25000,
            currency="GBP",
        )
    )
    db.session.flush()
    page = html(web.get(f"/venues/{venue.slug}"))
    assert "Any length" in page and "usually £300.00" in page  # 5 × the 60-minute option
