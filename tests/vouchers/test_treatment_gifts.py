"""Treatment gift cards (issue 47, item 3): a gift for one named treatment at one venue (a
service, one of its options, its add-ons), bought at that day's price through the Demo
gateway, redeemed for exactly that treatment, once, even after a price rise. Bad input on the
buy form is a 4xx with a message and creates nothing; amount vouchers are unchanged
(tests/vouchers/test_vouchers.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.booking import cart, lifecycle, order_lifecycle
from app.booking.amounts import amount_due
from app.booking.models import BookingStatus, CartItem, Order, OrderStatus, ReleaseReason
from app.checkout import checkout
from app.payments import service as payments
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import Refund
from app.payouts.models import Funding
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.addons import AddonInput, set_addons
from app.venues.options import OptionInput, set_options
from app.vouchers import ledger
from app.vouchers.models import Voucher, VoucherPurchase
from app.vouchers.purchase import order_paid, start_purchase
from app.vouchers.treatments import TreatmentWish
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.conftest import Browser, IsolatedClient
from tests.payouts.helpers import connect, transfers_of
from tests.vouchers.helpers import wish

PAYS = "4242 4242 4242 4242"
DEMO_PAGE_RE = re.compile(r"/payments/demo/(demo_cs_[A-Za-z0-9_-]+)$")
LABEL = "A 90-minute Deep tissue massage + Hot stones at Calm Rooms"


@pytest.fixture
def spa(ctx, provider):
    """Calm Rooms' massage in 60 (£60) and 90 minutes (£85), with Hot stones (+£15) and a scalp massage."""
    venue, service = make_bookable_venue(provider)
    set_options(service, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 8500)])
    set_addons(service, [AddonInput("Hot stones", 1500, 15), AddonInput("Scalp massage", 1000, 10)])
    db.session.flush()
    short, long = service.options
    stones, scalp = service.addons
    return venue, service, short, long, stones, scalp


@pytest.fixture
def other_venue(ctx, make_user):
    owner = make_user(email="other-owner@example.com", role=Role.PROVIDER)
    return make_bookable_venue(owner, name="Elsewhere Spa")


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def kinds(voucher: Voucher) -> list[tuple[str, int]]:
    return [(e.kind, e.amount_minor) for e in ledger.get_entries(voucher)]


def bought_gift(buyer, venue, service, option, addons=()) -> Voucher:
    """A treatment gift bought by ``buyer`` and paid with the Demo gateway's paying card."""
    treatment = TreatmentWish(service.id, option.id if option else None, tuple(a.id for a in addons))
    purchase = start_purchase(buyer, wish(0, venue_id=venue.id, treatment=treatment))
    assert pay_by_demo_card(purchase.order) == "paid: bookings confirmed"
    db.session.flush()
    db.session.refresh(purchase)
    return purchase.voucher


def add_to_cart(customer, service, option=None, addons=(), *, days: int = 5, hour: int = 10, quantity: int = 1):
    return cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=days, hour=hour),
        quantity=quantity,
        team_member_id=None,
        option_id=option.id if option else None,
        addon_ids=[a.id for a in addons],
    )


def treatment_form(venue, service, option=None, addons=(), **fields) -> dict:
    values = {
        "venue_id": str(venue.id),
        "service_id": str(service.id),
        "option_id": str(option.id) if option else "",
        "addon_ids": [str(a.id) for a in addons],
        "recipient_name": "Rosa Recipient",
        "recipient_email": "rosa@example.com",
        "sender_name": "Sam Sender",
        "message": "Enjoy!",
    }
    values.update(fields)
    return values


# -- buying ---------------------------------------------------------------------------------------


def test_the_venue_page_offers_to_give_a_treatment(web, spa):
    venue, service, *_rest = spa
    page = html(web.get(f"/venues/{venue.slug}"))
    assert f"/gift-vouchers/treatment?venue={venue.slug}" in page and "Give a treatment" in page
    choose = html(web.get(f"/gift-vouchers/treatment?venue={venue.slug}"))
    assert "Deep tissue massage" in choose and "from £60.00" in choose
    form = html(web.get(f"/gift-vouchers/treatment?venue={venue.slug}&service_id={service.id}"))
    # The standard option (the cheapest) is chosen by default, at today's price.
    assert "A 60-minute Deep tissue massage at Calm Rooms" in form and "Price today: £60.00" in form


def test_the_total_follows_the_choice_at_todays_prices(web, spa):
    venue, service, _short, long, stones, _scalp = spa
    response = web.get(
        f"/gift-vouchers/treatment?venue={venue.slug}&service_id={service.id}"
        f"&option_id={long.id}&addon_ids={stones.id}",
        headers={"HX-Request": "true"},
    )
    fragment = html(response)
    assert response.status_code == 200 and 'id="treatment-total"' in fragment and "<form" not in fragment
    assert LABEL in fragment and "£100.00" in fragment


def test_buying_a_treatment_with_the_demo_card_issues_it_once_with_its_snapshot(web, customer, spa, run_jobs, outbox):
    venue, service, _short, long, stones, _scalp = spa
    web.sign_in_as(customer)
    response = web.post("/gift-vouchers/treatment", treatment_form(venue, service, long, [stones]))
    assert response.status_code == 303, html(response)
    session_id = DEMO_PAGE_RE.search(response.location).group(1)
    paid = web.post(f"/payments/demo/{session_id}/pay", {"card_number": PAYS, "expiry": "12/34", "cvc": "123"})
    assert paid.status_code == 303
    run_jobs()

    purchase = db.session.scalar(select(VoucherPurchase))
    assert purchase.kind == "treatment" and purchase.amount_minor == 10000  # £85 + £15, today
    assert (purchase.venue_id, purchase.service_id, purchase.option_id) == (venue.id, service.id, long.id)
    assert purchase.addon_ids == [stones.id]
    assert (purchase.venue_name, purchase.service_name, purchase.option_name, purchase.minutes) == (
        "Calm Rooms",
        "Deep tissue massage",
        "90 min",
        90,
    )
    assert purchase.addon_names == ["Hot stones"]
    [voucher] = db.session.scalars(select(Voucher))
    assert voucher.value_minor == 10000 and voucher.venue_id == venue.id
    assert kinds(voucher) == [("issue", 10000)]
    assert order_paid(purchase.order, now=datetime.now(UTC)) is voucher  # a replayed paid event
    assert count(Voucher) == 1 and kinds(voucher) == [("issue", 10000)]  # issues nothing more

    [mail] = [m for m in outbox if m.to == ["rosa@example.com"]]
    assert LABEL in mail.body and "£100.00" not in mail.body and ledger.display_code(voucher.code) in mail.body
    assert "treatment gift" in mail.subject

    # The printable page names the treatment as bought, even after the service is renamed.
    service.name = "Signature massage"
    db.session.flush()
    printable = html(web.get(f"/gift-vouchers/v/{voucher.code}"))
    assert LABEL in printable and "£100.00" not in printable
    mine = html(web.get("/gift-vouchers/mine"))
    assert LABEL in mine


def test_someone_else_cant_see_the_purchase_page(ctx, app, customer, make_user, spa):
    venue, service, _short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    nosy = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    nosy.sign_in_as(make_user(email="nosy@example.com"))
    assert nosy.get(f"/gift-vouchers/purchases/{voucher.purchase_id}").status_code == 404
    owner = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    owner.sign_in_as(customer)
    assert LABEL in html(owner.get(f"/gift-vouchers/purchases/{voucher.purchase_id}"))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("another_venues_service", "isn't on Calm Rooms's menu"),
        ("another_services_option", "not one of this service's"),
        ("a_foreign_addon", "not one of this service's"),
        ("text_service", "That treatment can't be found"),
        ("text_option", "That option can't be found"),
        ("text_addon", "That add-on can't be found"),
        ("no_service", "Choose a treatment to give"),
        ("text_venue", "That venue"),
        ("bad_email", "Check their email address"),
    ],
)
def test_bad_input_on_the_buy_form_is_refused_and_creates_nothing(web, customer, spa, other_venue, case, message):
    venue, service, _short, long, stones, _scalp = spa
    _elsewhere, foreign = other_venue
    set_options(foreign, [OptionInput("30 min", 30, 3000), OptionInput("45 min", 45, 4000)])
    set_addons(foreign, [AddonInput("Foot soak", 500, 5)])
    db.session.flush()
    fields = {
        "another_venues_service": {"service_id": str(foreign.id), "option_id": ""},
        "another_services_option": {"option_id": str(foreign.options[0].id)},
        "a_foreign_addon": {"addon_ids": [str(stones.id), str(foreign.addons[0].id)]},
        "text_service": {"service_id": "massage"},
        "text_option": {"option_id": "long"},
        "text_addon": {"addon_ids": ["stones"]},
        "no_service": {"service_id": ""},
        "text_venue": {"venue_id": "calm-rooms"},
        "bad_email": {"recipient_email": "not-an-email"},
    }[case]
    web.sign_in_as(customer)
    response = web.post("/gift-vouchers/treatment", treatment_form(venue, service, long, [stones], **fields))
    assert 400 <= response.status_code < 500, response.status_code
    assert message in html(response)
    assert count(VoucherPurchase) == 0 and count(Order) == 0


def test_bad_ids_in_the_choice_url_are_a_400_with_a_message(web, spa, other_venue):
    venue, _service, *_rest = spa
    _elsewhere, foreign = other_venue
    assert web.get("/gift-vouchers/treatment?venue=nowhere").status_code == 404
    response = web.get(f"/gift-vouchers/treatment?venue={venue.slug}&service_id=abc")
    assert response.status_code == 400 and "Choose a treatment from the list" in html(response)
    response = web.get(f"/gift-vouchers/treatment?venue={venue.slug}&service_id={foreign.id}")
    assert response.status_code == 422 and "isn't on Calm Rooms's menu" in html(response)


def test_buying_needs_a_signed_in_customer(web, provider, spa):
    venue, service, _short, long, _stones, _scalp = spa
    response = web.post("/gift-vouchers/treatment", treatment_form(venue, service, long))
    assert response.status_code == 303 and "/account/sign-in" in response.location
    web.sign_in_as(provider)
    assert web.post("/gift-vouchers/treatment", treatment_form(venue, service, long)).status_code == 403
    assert count(VoucherPurchase) == 0


# -- redeeming ------------------------------------------------------------------------------------


def test_the_gift_pays_its_matching_line_in_full_and_is_used_up(ctx, customer, spa):
    venue, service, short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    add_to_cart(customer, service, long, [stones], hour=10)
    add_to_cart(customer, service, short, hour=14)  # another line, paid by card
    order = checkout.checkout(customer, voucher_code=ledger.display_code(voucher.code))

    gifted = next(b for b in order.bookings if b.option_id == long.id)
    assert gifted.total_minor == 10000 and gifted.paid_minor == 10000
    assert order.voucher_applied_minor == 10000
    due = amount_due(order)
    assert due.total_minor == 16000 and due.due_now_minor == 6000  # only the other line
    assert ledger.balance(voucher) == 0
    assert kinds(voucher) == [("issue", 10000), ("redeem", -10000)]
    [redeem] = ledger.get_entries(voucher)[1:]
    assert redeem.order_id == order.id and redeem.booking_id == gifted.id


def test_a_gift_covering_the_whole_cart_confirms_it_at_once(ctx, customer, spa):
    venue, service, _short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    add_to_cart(customer, service, long, [stones])
    order = checkout.checkout(customer, voucher_code=voucher.code)
    assert order.status == OrderStatus.PAID and order.bookings[0].status == BookingStatus.CONFIRMED
    assert amount_due(order).due_now_minor == 0


@pytest.mark.parametrize(
    "cart_line",
    ["another_option", "without_the_addon", "an_extra_addon", "two_places"],
)
def test_a_cart_without_the_exact_treatment_is_refused_and_nothing_changes(ctx, customer, spa, cart_line):
    venue, service, short, long, stones, scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    line = {
        "another_option": {"option": short, "addons": [stones]},
        "without_the_addon": {"option": long, "addons": []},
        "an_extra_addon": {"option": long, "addons": [stones, scalp]},
        "two_places": {"option": long, "addons": [stones], "quantity": 2},
    }[cart_line]
    service.capacity = 2  # two places can be booked at once
    db.session.flush()
    add_to_cart(customer, service, line["option"], line["addons"], quantity=line.get("quantity", 1))
    with db.session.begin_nested() as attempt:
        with pytest.raises(ValidationFailed, match=f"This gift is for {re.escape(LABEL)}"):
            checkout.checkout(customer, voucher_code=voucher.code)
        attempt.rollback()
    assert ledger.balance(voucher) == 10000 and kinds(voucher) == [("issue", 10000)]
    assert count(CartItem) == 1
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.voucher_applied_minor > 0)) == 0


def test_at_checkout_a_non_matching_cart_gets_the_message_and_keeps_its_cart(web, customer, spa):
    venue, service, short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    orders_before = count(Order)
    add_to_cart(customer, service, short)
    web.sign_in_as(customer)
    response = web.post("/checkout", {"voucher_code": ledger.display_code(voucher.code)})
    assert response.status_code == 303 and response.location.endswith("/cart")
    assert f"This gift is for {LABEL}" in html(web.get("/cart"))
    assert count(Order) == orders_before and count(CartItem) == 1
    assert ledger.balance(voucher) == 10000


def test_a_second_use_is_refused(ctx, customer, spa):
    venue, service, _short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    add_to_cart(customer, service, long, [stones], days=5)
    checkout.checkout(customer, voucher_code=voucher.code)
    add_to_cart(customer, service, long, [stones], days=6)
    with db.session.begin_nested() as attempt:
        with pytest.raises(ValidationFailed, match="already been used"):
            checkout.checkout(customer, voucher_code=voucher.code)
        attempt.rollback()
    assert kinds(voucher) == [("issue", 10000), ("redeem", -10000)]


def test_an_expired_gift_is_refused_with_its_date(ctx, customer, spa):
    venue, service, _short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    voucher.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    voucher.issued_at = voucher.expires_at - timedelta(days=800)
    db.session.flush()
    add_to_cart(customer, service, long, [stones])
    with db.session.begin_nested() as attempt:
        with pytest.raises(ValidationFailed, match="expired on"):
            checkout.checkout(customer, voucher_code=voucher.code)
        attempt.rollback()
    assert ledger.balance(voucher) == 10000


def test_a_price_rise_after_buying_still_costs_the_customer_nothing(ctx, customer, spa):
    venue, service, short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    set_options(service, [OptionInput("60 min", 60, 6500, id=short.id), OptionInput("90 min", 90, 9500, id=long.id)])
    set_addons(service, [AddonInput("Hot stones", 2000, 15, id=stones.id)])
    db.session.flush()
    add_to_cart(customer, service, long, [stones])
    order = checkout.checkout(customer, voucher_code=voucher.code)
    assert amount_due(order).due_now_minor == 0 and order.status == OrderStatus.PAID
    # The venue is paid what the buyer paid (£100), not today's £115: no change either way.
    assert order.bookings[0].total_minor == 10000 and ledger.balance(voucher) == 0


def test_a_price_fall_gives_no_change(ctx, customer, spa):
    venue, service, short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    set_options(service, [OptionInput("60 min", 60, 5000, id=short.id), OptionInput("90 min", 90, 7000, id=long.id)])
    db.session.flush()
    add_to_cart(customer, service, long, [stones])
    order = checkout.checkout(customer, voucher_code=voucher.code)
    assert order.bookings[0].total_minor == 10000 and order.voucher_applied_minor == 10000
    assert ledger.balance(voucher) == 0


def test_an_amount_voucher_still_pays_what_it_can(ctx, customer, spa):
    venue, service, short, _long, _stones, _scalp = spa
    amount = start_purchase(customer, wish(2500, venue_id=venue.id))
    assert pay_by_demo_card(amount.order) == "paid: bookings confirmed"
    db.session.refresh(amount)
    add_to_cart(customer, service, short)
    order = checkout.checkout(customer, voucher_code=amount.voucher.code)
    assert order.voucher_applied_minor == 2500 and amount_due(order).due_now_minor == 3500
    assert amount.kind == "amount" and amount.service_name is None


# -- giving back ----------------------------------------------------------------------------------


def test_a_cancellation_within_policy_gives_the_gift_back_and_it_works_again(ctx, customer, spa):
    venue, service, short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    add_to_cart(customer, service, long, [stones], hour=10)
    add_to_cart(customer, service, short, hour=14)
    order = checkout.checkout(customer, voucher_code=voucher.code)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"

    gifted = next(b for b in order.bookings if b.option_id == long.id)
    refund = lifecycle.cancel_by_customer(gifted, customer=customer)
    assert refund == 10000  # free cancellation
    payments.refund_booking(gifted, refund, reason="Cancelled by the customer")

    assert kinds(voucher)[-1] == ("refund", 10000) and ledger.balance(voucher) == 10000
    assert count(Refund) == 0  # the other line's card money stays where it is
    add_to_cart(customer, service, long, [stones], days=7)
    again = checkout.checkout(customer, voucher_code=voucher.code)
    assert again.voucher_applied_minor == 10000 and ledger.balance(voucher) == 0


def test_an_unpaid_order_gives_the_gift_back(ctx, customer, spa):
    venue, service, short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    add_to_cart(customer, service, long, [stones], hour=10)
    add_to_cart(customer, service, short, hour=14)
    order = checkout.checkout(customer, voucher_code=voucher.code)
    assert ledger.balance(voucher) == 0
    order_lifecycle.release_order(order, ReleaseReason.EXPIRED)
    assert ledger.balance(voucher) == 10000
    assert count(CartItem) == 2  # the items are back in the cart, the gift whole again


def test_the_carts_check_says_what_the_gift_is_for_and_when_it_is_used(web, customer, spa):
    venue, service, _short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    checked = html(web.post("/gift-vouchers/check", {"voucher_code": ledger.display_code(voucher.code)}))
    assert f"A gift for {LABEL}" in checked and "£100.00" not in checked
    add_to_cart(customer, service, long, [stones])
    checkout.checkout(customer, voucher_code=voucher.code)
    assert "This treatment gift has been used" in html(web.post("/gift-vouchers/check", {"voucher_code": voucher.code}))


def test_the_venue_is_paid_what_the_buyer_paid(ctx, customer, spa):
    venue, service, _short, long, stones, _scalp = spa
    voucher = bought_gift(customer, venue, service, long, [stones])
    set_addons(service, [AddonInput("Hot stones", 2500, 15, id=stones.id)])  # +£10 since
    db.session.flush()
    add_to_cart(customer, service, long, [stones])
    order = checkout.checkout(customer, voucher_code=voucher.code)
    [booking] = order.bookings
    # The booking is sold at the gift's price: the venue's share and any refund follow it.
    assert (booking.unit_price_minor, booking.online_minor, booking.payment_mode) == (10000, 10000, "full")
    assert [a.name for a in booking.addons] == ["Hot stones"]


def test_a_refused_form_shows_the_choice_and_what_was_typed_again(web, customer, spa):
    venue, service, _short, long, stones, _scalp = spa
    web.sign_in_as(customer)
    response = web.post(
        "/gift-vouchers/treatment",
        treatment_form(venue, service, long, [stones], recipient_email="nope", recipient_name="Rosa Again"),
    )
    page = html(response)
    assert response.status_code == 400 and "Check their email address" in page
    assert LABEL in page and "Price today: £100.00" in page and 'value="Rosa Again"' in page
    assert f'id="option-{long.id}" value="{long.id}" checked' in page


def test_after_a_price_rise_the_venues_payout_is_what_the_buyer_paid(ctx, customer, spa, run_jobs):
    venue, service, short, long, stones, _scalp = spa
    connect(venue)
    voucher = bought_gift(customer, venue, service, long, [stones])
    set_options(service, [OptionInput("60 min", 60, 6500, id=short.id), OptionInput("90 min", 90, 9500, id=long.id)])
    db.session.flush()
    add_to_cart(customer, service, long, [stones])
    order = checkout.checkout(customer, voucher_code=voucher.code)
    db.session.commit()
    run_jobs()
    run_jobs()
    [leg] = transfers_of(order)
    assert leg.venue_id == venue.id and leg.funding == Funding.BALANCE
    assert leg.gross_minor == 10000  # the gift's price, not today's £110
