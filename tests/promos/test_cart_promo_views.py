"""The cart's "Add a promo code": HTMX and plain forms, the discount line, Remove, a clear
reason when refused (4xx, nothing changes), CSRF, and the order page and receipt lines."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta

import pytest

from app.booking import cart
from app.platform.extensions import db
from app.promos.models import CartPromo
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.promos.helpers import make_code

HX = {"HX-Request": "true"}


@pytest.fixture
def massage(ctx, provider):
    _venue, service = make_bookable_venue(provider)
    return service


@pytest.fixture
def signed_in_cart(web, customer, massage):
    web.sign_in_as(customer)
    assert web.post("/cart/items", cart_form(massage, future_slot())).status_code == 303
    return web


def toasts(response) -> list[str]:
    return [t["message"] for t in json.loads(response.headers["HX-Trigger"])["cw:toast"]]


def test_the_cart_offers_a_promo_code_field(signed_in_cart):
    page = signed_in_cart.get("/cart").text
    assert "Add a promo code" in page and 'name="code"' in page


def test_adding_a_code_shows_the_discount_line_and_what_to_pay(signed_in_cart, customer):
    make_code("SPRING10", value=10)
    response = signed_in_cart.post("/cart/promo", {"code": "spring10"}, headers=HX)
    assert response.status_code == 200
    assert toasts(response) == ["Promo code SPRING10 added."]
    page = response.text
    assert "data-promo-code>SPRING10<" in page
    assert "−£6.00" in page  # 10% of 60.00
    assert "£54.00" in page
    assert db.session.get(CartPromo, customer.id) is not None


def test_without_htmx_adding_a_code_redirects_to_the_cart(signed_in_cart):
    make_code("SPRING10")
    response = signed_in_cart.post("/cart/promo", {"code": "SPRING10"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert "−£6.00" in signed_in_cart.get("/cart").text


@pytest.mark.parametrize(
    ("fields", "typed", "reason"),
    [
        ({}, "", "Type a promo code."),
        ({"kind": "percent"}, "NOPE", "There is no promo code NOPE. Check its spelling."),
        ({"max_uses_total": 1, "uses_count": 1}, "GONE", "The code GONE has been used up."),
        ({"min_spend_minor": 10000}, "BIGSPEND", "needs a minimum spend of £100.00; your items come to £60.00."),
        ({"valid_until": "past"}, "OLD", "The code OLD expired on"),
        ({"valid_from": "future"}, "SOON", "The code SOON isn't valid yet"),
        ({"active": False}, "OFF", "The code OFF is no longer available."),
    ],
)
def test_a_refused_code_says_why_and_changes_nothing(signed_in_cart, customer, fields, typed, reason):
    now = datetime.now(UTC)
    if typed and typed != "NOPE":
        fields = dict(fields)
        if fields.get("valid_until") == "past":
            fields.update(valid_from=now - timedelta(days=3), valid_until=now - timedelta(days=1))
        if fields.get("valid_from") == "future":
            fields["valid_from"] = now + timedelta(days=1)
        make_code(typed, **fields)
    response = signed_in_cart.post("/cart/promo", {"code": typed}, headers=HX)
    assert response.status_code == 422
    assert reason in html.unescape(response.text)
    assert 'aria-invalid="true"' in response.text
    assert db.session.get(CartPromo, customer.id) is None


def test_a_plain_form_refusal_renders_the_cart_with_the_reason(signed_in_cart):
    response = signed_in_cart.post("/cart/promo", {"code": "NOPE"})
    assert response.status_code == 422
    assert "There is no promo code NOPE" in response.text


def test_a_code_for_another_venue_is_refused(signed_in_cart, make_user):
    other, _ = make_bookable_venue(make_user(role="provider"), name="Glow Studio")
    make_code("GLOW", venue_id=other.id, funded_by="venue")
    response = signed_in_cart.post("/cart/promo", {"code": "GLOW"}, headers=HX)
    assert response.status_code == 422
    assert "only valid at Glow Studio" in response.text


def test_remove_takes_the_code_out(signed_in_cart, customer):
    make_code("SPRING10")
    signed_in_cart.post("/cart/promo", {"code": "SPRING10"})
    response = signed_in_cart.post("/cart/promo/delete", headers=HX)
    assert response.status_code == 200
    assert toasts(response) == ["Promo code SPRING10 removed."]
    assert db.session.get(CartPromo, customer.id) is None
    assert "data-promo-code" not in response.text


def test_a_code_that_stopped_working_shows_its_reason_in_the_cart(signed_in_cart, customer):
    code = make_code("SPRING10", max_uses_total=5)
    signed_in_cart.post("/cart/promo", {"code": "SPRING10"})
    code.uses_count = 5
    db.session.flush()
    page = signed_in_cart.get("/cart").text
    assert "The code SPRING10 has been used up." in page
    assert "−£" not in page


def test_checkout_refused_by_the_code_goes_back_to_the_cart_with_the_reason(signed_in_cart, customer):
    code = make_code("SPRING10", max_uses_total=5)
    signed_in_cart.post("/cart/promo", {"code": "SPRING10"})
    code.uses_count = 5
    db.session.flush()
    response = signed_in_cart.post("/checkout")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert "The code SPRING10 has been used up." in signed_in_cart.get("/cart").text
    assert len(cart.get_items(cart.CartOwner(user_id=customer.id))) == 1


def test_the_order_page_and_receipt_show_the_promo_line(signed_in_cart, customer):
    from app.booking.models import Order
    from app.payments.demo_webhook import pay_by_demo_card

    make_code("SPRING10")
    signed_in_cart.post("/cart/promo", {"code": "SPRING10"})
    response = signed_in_cart.post("/checkout")
    order_path = response.headers["Location"]
    page = signed_in_cart.get(order_path).text
    assert "data-promo-line" in page and "SPRING10" in page and "−£6.00" in page and "Pay £54.00" in page
    order = db.session.query(Order).filter_by(customer_id=customer.id).one()
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    db.session.flush()
    receipt = signed_in_cart.get(f"/payments/receipts/{order.id}").text
    assert "data-promo-line" in receipt and "£60.00" in receipt and "− £6.00" in receipt
    assert "data-total>£54.00<" in receipt


def test_anonymous_visitors_are_asked_to_sign_in(web, massage):
    make_code("SPRING10")
    web.post("/cart/items", cart_form(massage, future_slot()))
    response = web.post("/cart/promo", {"code": "SPRING10"}, headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/account/sign-in?next=")
    response = web.post("/cart/promo", {"code": "SPRING10"})
    assert response.status_code == 303 and "/sign-in" in response.headers["Location"]
    assert "Sign in to use a promo code" in web.get(response.headers["Location"]).text
    assert db.session.query(CartPromo).count() == 0


def test_without_a_csrf_token_nothing_changes(signed_in_cart, customer):
    make_code("SPRING10")
    response = signed_in_cart.post("/cart/promo", {"code": "SPRING10"}, csrf=False, headers=HX)
    assert response.status_code == 400
    assert db.session.get(CartPromo, customer.id) is None


def test_venue_owners_can_not_use_the_cart(web, provider, ctx):
    web.sign_in_as(provider)
    assert web.post("/cart/promo", {"code": "X"}).status_code == 403
