"""A gift voucher in a real browser, with the real job worker: Bea buys a £100 voucher for Rosa
with the demo card; Rosa gets the email, opens the printable voucher, checks the code in her
cart and spends it on a booking, which is confirmed with nothing charged to a card."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import watch
from e2e.test_payment_journeys import HOUR, PAYS, booking_day, set_up, sign_in

SETTLE_TIMEOUT = 20_000  # ms: the worker settles the payment and sends the email
CODE_RE = re.compile(r"Your code: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})")
PRINT_RE = re.compile(r"Print your voucher: (\S+)")


def test_buy_a_voucher_with_the_demo_card_then_spend_it_on_a_booking(
    page: Page, new_context, live_server, unique_email, read_email, browser_errors
):
    buyer = {"email": unique_email("bea"), "name": "Bea Buyer"}
    recipient = {"email": unique_email("rosa"), "name": "Rosa Recipient"}
    venue = set_up(live_server, f"Willow Spa {uuid.uuid4().hex[:6]}", [buyer, recipient])

    # -- Bea buys a £100 voucher for Rosa and pays with the demo card. ------------------------------
    sign_in(page, buyer["email"], "Bea")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Gift vouchers").click()
    expect(page.get_by_role("heading", name="Gift vouchers")).to_be_visible()
    page.get_by_text("£100", exact=True).click()
    page.get_by_label("Their name").fill("Rosa")
    page.get_by_label("Their email").fill(recipient["email"])
    page.get_by_label("From").fill("Bea")
    page.get_by_label("Message (optional)").fill("Treat yourself!")
    page.get_by_role("button", name="Pay securely").click()
    expect(page.get_by_role("heading", name="Pay £100.00")).to_be_visible()
    page.get_by_label("Card number").fill(PAYS)
    page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay £100.00").click()
    expect(page.get_by_role("heading", name="Gift voucher sent")).to_be_visible(timeout=SETTLE_TIMEOUT)
    expect(page.locator("[data-voucher-expiry]")).to_contain_text("Valid until")
    browser_errors.assert_none()

    # -- Rosa's email: the code, the expiry and the printable page. ---------------------------------
    mail = read_email(recipient["email"], subject_contains="gift voucher")
    code = CODE_RE.search(mail.text).group(1)
    assert "Valid until" in mail.text and "£100.00" in mail.text
    print_url = PRINT_RE.search(mail.text).group(1)

    rosa = new_context().new_page()
    rosa_errors = watch(rosa)
    rosa.goto(print_url)
    expect(rosa.locator("[data-voucher-code]")).to_have_text(code)
    expect(rosa.locator("[data-voucher-balance]")).to_have_text("£100.00")
    expect(rosa.get_by_role("button", name="Print")).to_be_visible()

    # -- Rosa books, checks the code in her cart and pays with it: nothing to pay by card. ----------
    sign_in(rosa, recipient["email"], "Rosa")
    hold_the_time_in_cart(rosa, venue)
    rosa.get_by_label("Gift voucher code").fill(code.lower())
    rosa.get_by_role("button", name="Check balance").click()
    expect(rosa.locator("[data-voucher-check]")).to_contain_text("£100.00 left of £100.00")
    expect(rosa.locator("[data-voucher-check]")).to_contain_text("Valid until")
    rosa.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(rosa.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(rosa.locator("[data-voucher-applied]")).to_contain_text("£60.00")
    rosa_errors.assert_none()

    # -- Bea's account shows what is left on it. ----------------------------------------------------
    page.goto("/gift-vouchers/mine")
    expect(page.locator("[data-voucher-balance]")).to_have_text("£40.00")


def hold_the_time_in_cart(page: Page, venue: dict) -> None:
    """Like the payment journeys' hold_the_time, but stopping at the cart."""
    page.goto(f"/venues/{venue['slug']}/book/{venue['service_id']}?day={booking_day()}")
    page.get_by_role("list", name="Free times").get_by_role(
        "link", name=re.compile(rf"^{HOUR}:00 ?, 1 place left$")
    ).click()
    details = page.locator("#slot-details")
    details.get_by_role("button", name="Add to cart").click()
    expect(details.get_by_role("status")).to_contain_text("Added Deep tissue massage to your cart.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cart (1)").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
