"""A promo code at checkout: the order is discounted and remembers it, the use counts while
the order is live and is given back when it isn't; refusals leave everything as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.booking import cart, lifecycle, order_lifecycle
from app.booking.amounts import amount_due
from app.booking.models import OrderStatus, ReleaseReason
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.refunds import refundable
from app.payments.service import checkout_charge
from app.payments.stripe_gateway import StripeGateway
from app.platform.extensions import db
from app.promos import redemption as promos
from app.promos.models import CartPromo, PromoRedemption
from app.promos.rules import PricedLine
from app.venues.service import save_service
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.promos.helpers import make_code


@pytest.fixture
def two_venues(ctx, provider, make_user):
    calm, massage = make_bookable_venue(provider, name="Calm Rooms")
    glow, facial = make_bookable_venue(make_user(role="provider"), name="Glow Studio")
    facial.price_minor = 4000
    return calm, massage, glow, facial


def fill(customer, *services, days: int = 3):
    owner = cart.CartOwner(user_id=customer.id)
    for n, service in enumerate(services):
        cart.add_item(owner, service_id=service.id, starts_at=future_slot(days=days, hour=10 + n), quantity=1,
                      team_member_id=None)  # fmt: skip
    return owner


def add_code(customer, text: str, *, now=None):
    view = cart.view_cart(cart.CartOwner(user_id=customer.id))
    lines = [PricedLine(line.venue.id, line.total_minor) for line in view.lines if line.problem is None]
    return promos.add_to_cart(customer.id, text, lines, currency="GBP", now=now or datetime.now(UTC))


def test_a_code_discounts_the_order_and_is_kept_on_it(two_venues, customer):
    _calm, massage, _glow, facial = two_venues
    code = make_code("SPRING10", value=10)
    fill(customer, massage, facial)
    add_code(customer, "  spring10 ")  # capitals and spaces don't matter
    order = checkout.checkout(customer)
    assert order.promo_code == "SPRING10"
    assert order.promo_discount_minor == 1000  # 10% of 60.00 + 40.00
    assert order.total_minor == 9000
    due = amount_due(order)
    assert due.due_now_minor == 9000 and due.promo_discount_minor == 1000
    assert sorted(b.promo_discount_minor for b in order.bookings) == [400, 600]
    assert code.uses_count == 1
    [use] = db.session.scalars(select(PromoRedemption).where(PromoRedemption.order_id == order.id)).all()
    assert (use.status, use.discount_minor, use.customer_id) == ("active", 1000, customer.id)
    assert db.session.get(CartPromo, customer.id) is None  # the code left the cart with its items


def test_promo_allocation_gives_each_venue_its_share(two_venues, customer):
    calm, massage, glow, facial = two_venues
    make_code("TENOFF", kind="fixed", value=1001)
    fill(customer, massage, facial)
    add_code(customer, "TENOFF")
    order = checkout.checkout(customer)
    shares = promos.promo_allocation(order)
    assert shares == {calm.id: 601, glow.id: 400}  # 600.6 and 400.4: the larger remainder gets the penny
    assert sum(shares.values()) == order.promo_discount_minor == 1001
    assert promos.promo_funded_by(order) == "platform"


def test_a_venue_code_discounts_only_that_venues_items(two_venues, customer):
    calm, massage, _glow, facial = two_venues
    make_code("CALM20", value=20, venue_id=calm.id, funded_by="venue")
    fill(customer, massage, facial)
    add_code(customer, "CALM20")
    order = checkout.checkout(customer)
    assert order.promo_discount_minor == 1200  # 20% of the massage only
    assert promos.promo_allocation(order) == {calm.id: 1200}
    assert promos.promo_funded_by(order) == "venue"


def test_a_released_order_gives_its_use_back_and_the_code_returns_to_the_cart(two_venues, customer):
    _calm, massage, _glow, _facial = two_venues
    code = make_code("ONCE", max_uses_total=1, max_uses_per_customer=1)
    owner = fill(customer, massage)
    add_code(customer, "ONCE")
    order = checkout.checkout(customer)
    assert code.uses_count == 1
    order_lifecycle.release_order(order, ReleaseReason.DECLINED)
    db.session.refresh(code)
    assert code.uses_count == 0
    assert promos.get_redemption(order.id).status == "released"
    assert db.session.get(CartPromo, customer.id).promo_code_id == code.id
    assert len(cart.get_items(owner)) == 1
    # The cart as it was: checking out again uses the code again.
    again = checkout.checkout(customer)
    assert again.promo_discount_minor == 600
    db.session.refresh(code)
    assert code.uses_count == 1


def test_a_used_up_code_refuses_the_checkout_and_changes_nothing(two_venues, customer, make_user):
    _calm, massage, _glow, facial = two_venues
    code = make_code("ONE", max_uses_total=1)
    fill(customer, massage)
    add_code(customer, "ONE")
    other = make_user()
    owner = fill(other, facial)
    add_code(other, "ONE")
    checkout.checkout(customer)
    with pytest.raises(promos.PromoRefused, match=r"The code ONE has been used up\."):
        checkout.checkout(other)
    assert len(cart.get_items(owner)) == 1
    assert db.session.get(CartPromo, other.id) is not None
    assert db.session.scalars(select(PromoRedemption).where(PromoRedemption.customer_id == other.id)).all() == []
    db.session.refresh(code)
    assert code.uses_count == 1


def test_a_code_refused_under_the_lock_leaves_no_order(two_venues, customer, monkeypatch):
    """The first look passes; another order uses the last use before the lock: refused, no order."""
    _calm, massage, _glow, _facial = two_venues
    code = make_code("LAST", max_uses_total=1)
    fill(customer, massage)
    add_code(customer, "LAST")
    # As if the first look came just before another order took the last use.
    monkeypatch.setattr(promos, "first_look", lambda *args, **kwargs: code.id)
    code.uses_count = 1
    db.session.flush()
    with pytest.raises(promos.PromoRefused, match="used up"):
        checkout.checkout(customer)
    assert db.session.scalars(select(PromoRedemption)).all() == []
    assert len(cart.get_items(cart.CartOwner(user_id=customer.id))) == 1
    from app.booking.models import Order

    assert db.session.scalars(select(Order).where(Order.customer_id == customer.id)).all() == []


def test_the_database_refuses_a_use_beyond_the_total_limit(ctx):
    code = make_code("CAP", max_uses_total=2, uses_count=2)
    code.uses_count = 3
    with pytest.raises(IntegrityError, match="uses_within_limit"), db.session.begin_nested():
        db.session.flush()


def test_the_database_refuses_a_second_live_use_of_a_once_per_customer_code(two_venues, customer):
    _calm, massage, _glow, facial = two_venues
    code = make_code("ONCE", max_uses_per_customer=1)
    fill(customer, massage)
    add_code(customer, "ONCE")
    order = checkout.checkout(customer)
    fill(customer, facial, days=4)
    second = checkout.checkout(customer)
    db.session.add(
        PromoRedemption(
            promo_code_id=code.id, order_id=second.id, customer_id=customer.id, discount_minor=1, once_per_customer=True
        )
    )
    with pytest.raises(IntegrityError, match="once_per_customer"), db.session.begin_nested():
        db.session.flush()
    assert order.id != second.id


def test_a_customer_can_not_use_a_once_per_customer_code_twice(two_venues, customer):
    _calm, massage, _glow, facial = two_venues
    make_code("ONCE", max_uses_per_customer=1)
    fill(customer, massage)
    add_code(customer, "ONCE")
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    fill(customer, facial, days=4)
    with pytest.raises(promos.PromoRefused, match=r"You have already used the code ONCE\."):
        add_code(customer, "ONCE")


def test_a_code_in_the_cart_that_expired_refuses_checkout_with_the_reason(two_venues, customer):
    _calm, massage, _glow, _facial = two_venues
    code = make_code("SOON", valid_until=datetime.now(UTC) + timedelta(hours=1))
    fill(customer, massage)
    add_code(customer, "SOON")
    code.valid_until = datetime.now(UTC) - timedelta(minutes=1)
    code.valid_from = code.valid_until - timedelta(days=1)
    db.session.flush()
    with pytest.raises(promos.PromoRefused, match="The code SOON expired on"):
        checkout.checkout(customer)


def test_money_that_comes_late_takes_the_use_back(two_venues, customer):
    _calm, massage, _glow, _facial = two_venues
    code = make_code("LATE", max_uses_total=5)
    fill(customer, massage)
    add_code(customer, "LATE")
    order = checkout.checkout(customer)
    order_lifecycle.release_order(order, ReleaseReason.EXPIRED)
    db.session.refresh(code)
    assert code.uses_count == 0
    assert order_lifecycle.confirm_paid(order) == "confirmed"
    db.session.refresh(code)
    assert code.uses_count == 1
    assert promos.get_redemption(order.id).status == "active"
    assert db.session.get(CartPromo, customer.id) is None  # it left the cart with the items


def test_a_cancellation_refunds_what_was_paid_for_the_booking(two_venues, customer):
    _calm, massage, _glow, facial = two_venues
    make_code("HALF", value=50)
    fill(customer, massage, facial, days=5)
    add_code(customer, "HALF")
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    assert refundable(order) == 5000
    booking = next(b for b in order.bookings if b.service_id == massage.id)
    assert booking.paid_minor == 3000
    assert lifecycle.cancel_by_customer(booking, customer=customer) == 3000  # not the 60.00 list price


def test_stripe_charges_the_discounted_amount(two_venues, customer, app):
    _calm, massage, _glow, facial = two_venues
    make_code("TENOFF", kind="fixed", value=1001)
    fill(customer, massage, facial)
    add_code(customer, "TENOFF")
    order = checkout.checkout(customer)
    params = StripeGateway.__new__(StripeGateway).checkout_params(
        checkout_charge(order), success_url="s", cancel_url="c"
    )
    charged = sum(line["price_data"]["unit_amount"] * line["quantity"] for line in params["line_items"])
    assert charged == order.total_minor == 8999
    assert all("promo code TENOFF" in line["price_data"]["product_data"]["name"] for line in params["line_items"])


def test_an_unknown_code_is_refused_with_its_spelling(two_venues, customer):
    _calm, massage, _glow, _facial = two_venues
    fill(customer, massage)
    with pytest.raises(promos.PromoRefused, match="There is no promo code NOPE"):
        add_code(customer, "NOPE")


def test_a_new_service_added_later_keeps_the_order_as_it_was(two_venues, customer):
    calm, massage, _glow, _facial = two_venues
    make_code("SPRING10")
    fill(customer, massage)
    add_code(customer, "SPRING10")
    order = checkout.checkout(customer)
    save_service(calm, massage, name=massage.name, description="", category_id=None, duration_minutes=60,
                 price_minor=9999, capacity=1, buffer_minutes=0, is_active=True)  # fmt: skip
    db.session.refresh(order)
    assert amount_due(order).total_minor == order.total_minor == 5400
    assert order.status == OrderStatus.PENDING_PAYMENT
