"""The booking button (docs/booking-button.md): the panel may be framed by exactly the venue's own
website origins and every other page keeps its anti-framing headers; bookings through the button
are the venue's own channel with no commission; nothing else can make an order that channel."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from app.booking import cart
from app.booking.models import CartItem, Order
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.payouts.shares import venue_shares
from app.platform.extensions import db
from tests.booking.helpers import cart_form, future_slot, iso, make_bookable_venue
from tests.payouts.helpers import transfers_of

SITE = "https://www.calm-rooms.example"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def salon(ctx, provider):
    venue, service = make_bookable_venue(provider)
    venue.site_origins = [SITE, "https://calm-rooms.example"]
    db.session.flush()
    return venue, service


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in policy.split(";")}


# -- headers --------------------------------------------------------------------------------------


def test_the_panel_may_be_framed_by_exactly_the_venues_origins(client, salon):
    venue, service = salon
    for path in (f"/embed/{venue.slug}", f"/embed/{venue.slug}/{service.id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert csp(response)["frame-ancestors"] == f"{SITE} https://calm-rooms.example"
        assert "X-Frame-Options" not in response.headers
        assert csp(response)["script-src"] == "'self'" and csp(response)["default-src"] == "'self'"


def test_a_venue_without_origins_can_be_framed_by_nobody(client, salon):
    venue, _ = salon
    venue.site_origins = []
    db.session.commit()
    response = client.get(f"/embed/{venue.slug}")
    assert csp(response)["frame-ancestors"] == "'none'"


def test_every_other_page_keeps_its_anti_framing_headers(client, salon):
    venue, service = salon
    start = future_slot(days=3, hour=10)
    for path in ("/", f"/venues/{venue.slug}", f"/embed/{venue.slug}/book/{service.id}?start={iso(start)}", "/cart"):
        response = client.get(path)
        assert response.headers.get("X-Frame-Options") == "DENY", path
        assert csp(response)["frame-ancestors"] == "'none'", path
    missing = client.get("/embed/no-such-venue")
    assert missing.status_code == 404 and csp(missing)["frame-ancestors"] == "'none'"


def test_the_panel_lists_services_and_times_that_open_a_first_party_tab(client, salon):
    venue, service = salon
    panel = text(client.get(f"/embed/{venue.slug}"))
    assert service.name in panel and f"/embed/{venue.slug}/{service.id}" in panel
    day = future_slot(days=3).date().isoformat()
    times = client.get(f"/embed/{venue.slug}/{service.id}?day={day}")
    body = text(times)
    assert 'target="_blank"' in body and f"/embed/{venue.slug}/book/{service.id}?start=" in body
    assert "csrf" not in body.lower()  # nothing in the frame needs a cookie


@pytest.mark.parametrize("day", ["tomorrow", "2020-01-01", "2999-01-01"])
def test_a_bad_day_is_refused(client, salon, day):
    venue, service = salon
    assert client.get(f"/embed/{venue.slug}/{service.id}?day={day}").status_code == 400


def test_an_unknown_or_foreign_service_is_not_found(client, salon, make_user):
    venue, _ = salon
    _other, foreign = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    assert client.get(f"/embed/{venue.slug}/{foreign.id}").status_code == 404
    assert client.get(f"/embed/{venue.slug}/book/{foreign.id}?start={iso(future_slot())}").status_code == 404


# -- the venue's own channel: no commission -----------------------------------------------------------


def paid_order(customer) -> Order:
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    db.session.flush()
    return order


def test_a_booking_through_the_button_is_the_venues_channel_with_no_commission(web, salon, customer):
    venue, service = salon
    web.sign_in_as(customer)
    start = future_slot(days=3, hour=10)
    response = web.post(f"/embed/{venue.slug}/book/{service.id}", {"start": iso(start)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    item = db.session.scalars(select(CartItem).where(CartItem.user_id == customer.id)).one()
    assert item.via_site_venue_id == venue.id
    order = paid_order(customer)
    assert order.channel == "venue_site"
    (share,) = venue_shares(order)
    assert share.commission_minor == 0 and share.transfer_minor == share.gross_minor == 6000
    assert [(t.commission_minor, t.commission_bp, t.transfer_minor) for t in transfers_of(order)] == [(0, 0, 6000)]


def test_a_marketplace_booking_pays_the_normal_commission(web, salon, customer):
    _venue, service = salon
    web.sign_in_as(customer)
    response = web.post("/cart/items", cart_form(service, future_slot(days=3, hour=10)))
    assert response.status_code in (200, 303)
    order = paid_order(customer)
    assert order.channel == "marketplace"
    (share,) = venue_shares(order)
    assert share.commission_minor == 900  # 15% of 60.00
    assert [(t.commission_minor, t.commission_bp) for t in transfers_of(order)] == [(900, 1500)]


def test_a_crafted_request_cannot_set_the_channel_outside_the_button(web, salon, customer):
    venue, service = salon
    web.sign_in_as(customer)
    crafted = cart_form(service, future_slot(days=3, hour=10), via_site_venue_id=venue.id, channel="venue_site")
    web.post("/cart/items", crafted)
    item = db.session.scalars(select(CartItem).where(CartItem.user_id == customer.id)).one()
    assert item.via_site_venue_id is None
    assert paid_order(customer).channel == "marketplace"


def test_a_cart_mixing_button_and_marketplace_items_is_a_marketplace_order(salon, customer):
    venue, service = salon
    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(
        owner,
        service_id=service.id,
        starts_at=future_slot(days=3, hour=10),
        quantity=1,
        team_member_id=None,
        via_site_venue_id=venue.id,
    )
    cart.add_item(owner, service_id=service.id, starts_at=future_slot(days=4, hour=10), quantity=1, team_member_id=None)
    order = paid_order(customer)
    assert order.channel == "marketplace"
    assert venue_shares(order)[0].commission_minor == 1800


def test_the_button_cannot_mark_another_venues_service(salon, customer, make_user):
    venue, _ = salon
    _other, foreign = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    with pytest.raises(cart.CartItemInvalid):
        cart.add_item(
            cart.CartOwner(user_id=customer.id),
            service_id=foreign.id,
            starts_at=future_slot(days=3, hour=10),
            quantity=1,
            team_member_id=None,
            via_site_venue_id=venue.id,
        )


def test_the_earnings_page_labels_own_channel_bookings(web, salon, customer, provider):
    venue, service = salon
    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(
        owner,
        service_id=service.id,
        starts_at=future_slot(days=3, hour=10),
        quantity=1,
        team_member_id=None,
        via_site_venue_id=venue.id,
    )
    order = paid_order(customer)
    db.session.commit()
    web.sign_in_as(provider)
    page = text(web.get("/provider/earnings"))
    (transfer,) = transfers_of(order)
    assert transfer.commission_minor == 0
    assert 'data-channel="venue_site"' in page and "no commission" in page


def test_a_bad_start_in_the_tab_is_refused(web, salon, customer):
    venue, service = salon
    web.sign_in_as(customer)
    assert web.get(f"/embed/{venue.slug}/book/{service.id}?start=soon").status_code == 400
    response = web.post(f"/embed/{venue.slug}/book/{service.id}", {"start": "2020-01-01T10:00:00Z"})
    assert response.status_code == 422 and "passed" in text(response)
    assert db.session.scalar(select(CartItem.id).where(CartItem.user_id == customer.id)) is None


def test_the_tab_refuses_a_post_without_csrf(web, salon, customer):
    venue, service = salon
    web.sign_in_as(customer)
    response = web.post(f"/embed/{venue.slug}/book/{service.id}", {"start": iso(future_slot())}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(CartItem.id).where(CartItem.user_id == customer.id)) is None
