"""Gift voucher pages, through HTTP: buying with the Demo card, the purchase page, the
buyer's list, the printable page (the code is the secret, lookups are rate limited), the
cart's "Check", and spending a code at checkout. Bad input is a 4xx and changes nothing."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import event, func, select

from app.booking.models import BookingStatus, Order, OrderStatus
from app.platform.extensions import db
from app.vouchers import ledger
from app.vouchers.models import Voucher, VoucherPurchase
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.conftest import Browser, IsolatedClient
from tests.vouchers.helpers import bought_voucher

PAYS = "4242 4242 4242 4242"
DEMO_PAGE_RE = re.compile(r"/payments/demo/(demo_cs_[A-Za-z0-9_-]+)$")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def bookable(ctx, provider):
    return make_bookable_venue(provider)


@pytest.fixture
def other_web(app) -> Browser:
    return Browser(IsolatedClient(app, app.response_class, use_cookies=True))


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def form(**fields) -> dict:
    values = {
        "amount": "5000",
        "custom_pounds": "",
        "recipient_name": "Rosa Recipient",
        "recipient_email": "rosa@example.com",
        "sender_name": "Sam Sender",
        "message": "Enjoy!",
        "venue_id": "",
    }
    values.update(fields)
    return values


def buy(web, **fields) -> str:
    """Press "Pay securely" on the gift voucher page: the demo checkout's session id."""
    response = web.post("/gift-vouchers", form(**fields))
    assert response.status_code == 303, html(response)
    match = DEMO_PAGE_RE.search(response.location)
    assert match, response.location
    return match.group(1)


def pay(web, session_id: str):
    return web.post(f"/payments/demo/{session_id}/pay", {"card_number": PAYS, "expiry": "12/34", "cvc": "123"})


def test_the_page_offers_fixed_amounts_custom_and_the_validity(web):
    page = html(web.get("/gift-vouchers"))
    assert "£25" in page and "£50" in page and "£100" in page and "Another amount" in page
    assert "valid for 24 months" in page
    assert "Sign in to buy" in page


def test_a_venue_voucher_is_offered_from_the_venues_slug(web, bookable):
    venue, _service = bookable
    page = html(web.get(f"/gift-vouchers?venue={venue.slug}"))
    assert "Calm Rooms" in page and f'value="{venue.id}"' in page


def test_buying_with_the_demo_card_issues_and_emails_the_voucher(web, customer, run_jobs, outbox):
    web.sign_in_as(customer)
    session_id = buy(web, amount="custom", custom_pounds="35")
    response = pay(web, session_id)
    assert response.status_code == 303
    run_jobs()

    purchase = db.session.scalar(select(VoucherPurchase))
    returned = web.get(response.location)
    assert returned.status_code == 303 and returned.location.endswith(f"/gift-vouchers/purchases/{purchase.id}")
    page = html(web.get(returned.location))
    voucher = db.session.scalar(select(Voucher))
    assert voucher.value_minor == 3500
    assert "Gift voucher sent" in page and ledger.display_code(voucher.code) in page and "Valid until" in page
    assert len([m for m in outbox if m.to == ["rosa@example.com"]]) == 1
    mine = html(web.get("/gift-vouchers/mine"))
    assert ledger.display_code(voucher.code) in mine and "£35.00" in mine


def test_the_purchase_page_waits_while_the_payment_settles(web, customer):
    web.sign_in_as(customer)
    buy(web)
    purchase = db.session.scalar(select(VoucherPurchase))
    response = web.get(f"/gift-vouchers/purchases/{purchase.id}", headers=HTMX)
    assert 'data-voucher-state="waiting"' in html(response) and "every 2s" in html(response)


def test_someone_elses_purchase_is_not_found(ctx, web, other_web, customer, make_user):
    purchase_id = bought_voucher(customer).purchase_id
    other_web.sign_in_as(make_user(email="nosy@example.com"))
    assert other_web.get(f"/gift-vouchers/purchases/{purchase_id}").status_code == 404
    mine = html(other_web.get("/gift-vouchers/mine"))
    assert "haven't bought a gift voucher" in mine


def test_buying_needs_an_account_and_a_customer_one(web, provider):
    response = web.post("/gift-vouchers", form())
    assert response.status_code == 303 and "/account/sign-in" in response.location
    web.sign_in_as(provider)
    assert web.post("/gift-vouchers", form()).status_code == 403
    assert count(VoucherPurchase) == 0 and count(Order) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "123"}, "Not a valid choice"),
        ({"amount": "custom", "custom_pounds": "5"}, "between £10 and £500"),
        ({"amount": "custom", "custom_pounds": "501"}, "between £10 and £500"),
        ({"amount": "custom", "custom_pounds": ""}, "between £10 and £500"),
        ({"recipient_email": "not-an-email"}, "Check their email address"),
        ({"recipient_name": ""}, "Tell us who it's for"),
        ({"sender_name": "x" * 101}, "under 100 characters"),
        ({"message": "x" * 501}, "under 500 characters"),
        ({"venue_id": "abc"}, "That venue can't be found"),
        ({"venue_id": "999999"}, "doesn't take gift vouchers"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_made(web, customer, fields, message):
    web.sign_in_as(customer)
    response = web.post("/gift-vouchers", form(**fields))
    assert 400 <= response.status_code < 500
    assert message in html(response)
    assert count(VoucherPurchase) == 0 and count(Order) == 0


def test_buying_without_a_csrf_token_is_refused(web, customer):
    web.sign_in_as(customer)
    response = web.post("/gift-vouchers", form(), csrf=False)
    assert response.status_code == 400
    assert count(VoucherPurchase) == 0


# -- the code is the secret ----------------------------------------------------------------------


def test_the_printable_page_opens_for_whoever_has_the_code(ctx, web, other_web, customer):
    voucher = bought_voucher(customer, 5000)
    for browser in (web, other_web):  # the buyer, or the recipient with no account
        response = browser.get(f"/gift-vouchers/v/{ledger.display_code(voucher.code)}")
        page = html(response)
        assert response.status_code == 200
        assert ledger.display_code(voucher.code) in page and "£50.00" in page and "Valid until" in page
        assert "css/voucher.css" in page and response.headers["Cache-Control"] == "no-store, private"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"  # never the path


def test_an_unknown_code_is_not_found(web):
    assert web.get("/gift-vouchers/v/ABCD-EFGH-JKMN-PQRS").status_code == 404
    assert web.get("/gift-vouchers/v/nonsense").status_code == 404


def test_code_lookups_are_rate_limited(app, web, monkeypatch):
    monkeypatch.setitem(app.config, "VOUCHER_LOOKUP_LIMIT", "5 per 15 minutes")
    statuses = [web.get(f"/gift-vouchers/v/ABCD-EFGH-JKMN-PQR{n}").status_code for n in range(7)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]


def test_the_cart_check_shows_balance_and_expiry(ctx, web, customer):
    voucher = bought_voucher(customer, 5000)
    web.sign_in_as(customer)
    response = web.post("/gift-vouchers/check", {"voucher_code": voucher.code.lower()}, headers=HTMX)
    page = html(response)
    assert response.status_code == 200
    assert "£50.00" in page and "Valid until" in page and "<html" not in page


@pytest.mark.parametrize(
    ("code", "status", "message"), [("", 400, "Enter a gift voucher code"), ("ZZZZ", 404, "don't know")]
)
def test_the_cart_check_refuses_bad_codes(web, customer, code, status, message):
    response = web.post("/gift-vouchers/check", {"voucher_code": code}, headers=HTMX)
    assert response.status_code == status and message in html(response)


def test_the_cart_check_needs_a_csrf_token(web):
    assert web.post("/gift-vouchers/check", {"voucher_code": "ABCD"}, csrf=False).status_code == 400


# -- spending at checkout ------------------------------------------------------------------------


def test_the_cart_offers_a_voucher_code_when_signed_in(web, customer, bookable):
    _venue, service = bookable
    web.sign_in_as(customer)
    web.post("/cart/items", cart_form(service, future_slot()))
    assert 'name="voucher_code"' in html(web.get("/cart"))


def test_a_code_at_checkout_pays_the_order(web, customer, bookable):
    _venue, service = bookable
    voucher = bought_voucher(customer, 10000)
    web.sign_in_as(customer)
    web.post("/cart/items", cart_form(service, future_slot()))
    response = web.post("/checkout", {"voucher_code": ledger.display_code(voucher.code)})
    assert response.status_code == 303 and "/orders/" in response.location
    order = db.session.scalar(select(Order).where(Order.voucher_applied_minor > 0))
    assert order.status == OrderStatus.PAID and order.bookings[0].status == BookingStatus.CONFIRMED
    page = html(web.get(response.location))
    assert "Your gift voucher paid £60.00" in page and "Paid by gift voucher" in page


def test_a_partly_paying_code_leaves_the_rest_for_the_card(web, customer, bookable):
    _venue, service = bookable
    voucher = bought_voucher(customer, 2500)
    web.sign_in_as(customer)
    web.post("/cart/items", cart_form(service, future_slot()))
    response = web.post("/checkout", {"voucher_code": voucher.code})
    page = html(web.get(response.location))
    assert "Pay the remaining £35.00 by card" in page and "Pay £35.00 securely" in page


def test_a_bad_code_at_checkout_keeps_the_cart_and_holds_nothing(web, customer, bookable):
    _venue, service = bookable
    web.sign_in_as(customer)
    web.post("/cart/items", cart_form(service, future_slot()))
    response = web.post("/checkout", {"voucher_code": "ABCD-EFGH-JKMN-PQRS"})
    assert response.status_code == 303 and response.location.endswith("/cart")
    assert "don't know that gift voucher code" in html(web.get("/cart"))
    assert count(Order) == 0


def test_the_receipt_shows_what_the_voucher_paid(web, customer, bookable):
    _venue, service = bookable
    voucher = bought_voucher(customer, 10000)
    web.sign_in_as(customer)
    web.post("/cart/items", cart_form(service, future_slot()))
    web.post("/checkout", {"voucher_code": voucher.code})
    order = db.session.scalar(select(Order).where(Order.voucher_applied_minor > 0))
    page = html(web.get(f"/payments/receipts/{order.id}"))
    assert "of which by gift voucher" in page and "Gift voucher" in page
    bought = html(web.get(f"/payments/receipts/{voucher.purchase.order_id}"))
    assert "CozyWish gift voucher" in bought and "For Rosa Recipient" in bought


def test_the_navbar_and_venue_page_lead_to_gift_vouchers(web, bookable):
    venue, _service = bookable
    assert 'href="/gift-vouchers"' in html(web.get("/"))
    assert f'href="/gift-vouchers?venue={venue.slug}"' in html(web.get(f"/venues/{venue.slug}"))


def test_a_message_may_run_over_several_lines(web, customer):
    web.sign_in_as(customer)
    buy(web, message="Happy birthday!\r\nLove, Sam")
    assert db.session.scalar(select(VoucherPurchase.message)) == "Happy birthday!\r\nLove, Sam"


def test_a_payment_settling_between_the_pages_reads_never_shows_not_paid(web, customer):
    """The worker marks the order paid and issues the voucher in one commit. Here that commit
    lands right after the page's first read of either table: the page must say "waiting" (and
    ask again) or "issued", never "Not paid"."""
    web.sign_in_as(customer)
    buy(web)
    purchase = db.session.scalar(select(VoucherPurchase))
    order_id, purchase_id = purchase.order_id, purchase.id
    db.session.expire_all()
    settled = []

    def settle_after_the_first_read(conn, cursor, statement, parameters, context, executemany):
        reads = statement.lstrip().upper().startswith("SELECT")
        if settled or not reads or not ("FROM vouchers" in statement or "FROM orders" in statement):
            return
        settled.append(statement)
        raw = cursor.connection  # a cursor of its own: this one still holds the read's rows
        raw.execute("UPDATE orders SET status = 'paid' WHERE id = %s", (order_id,))
        raw.execute(
            "INSERT INTO vouchers (code, purchase_id, value_minor, currency, issued_at, expires_at)"
            " VALUES ('RACE0000RACE0000', %s, 5000, 'GBP', now(), now() + interval '1 year')",
            (purchase_id,),
        )

    event.listen(db.engine, "after_cursor_execute", settle_after_the_first_read)
    try:
        page = html(web.get(f"/gift-vouchers/purchases/{purchase_id}", headers=HTMX))
    finally:
        event.remove(db.engine, "after_cursor_execute", settle_after_the_first_read)
    assert settled, "the page read neither the order nor the voucher"
    assert 'data-voucher-state="unpaid"' not in page and "Not paid" not in page
    assert 'data-voucher-state="waiting"' in page or 'data-voucher-state="issued"' in page
