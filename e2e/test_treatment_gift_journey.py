"""A treatment gift in a real browser (issue 47, item 3): Bea gives Rosa a Deep tissue massage
from the venue page and pays with the demo card; Rosa's email names the treatment; she books it,
her code pays that line whole, and the order is confirmed with nothing charged to a card. The
gift page is looked at at 1366x900 and 390x844, light and dark."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible, watch
from e2e.screens import shoot
from e2e.test_gift_voucher_journey import CODE_RE, SETTLE_TIMEOUT, hold_the_time_in_cart
from e2e.test_payment_journeys import PAYS, set_up, sign_in


def test_give_a_treatment_then_book_it_for_nothing(
    page: Page, new_context, live_server, unique_email, read_email, browser_errors
):
    buyer = {"email": unique_email("bea"), "name": "Bea Buyer"}
    recipient = {"email": unique_email("rosa"), "name": "Rosa Recipient"}
    venue = set_up(live_server, f"Birch Spa {uuid.uuid4().hex[:6]}", [buyer, recipient])

    sign_in(page, buyer["email"], "Bea")
    page.goto(f"/venues/{venue['slug']}")
    page.get_by_role("link", name="Give a treatment").click()
    expect(page.get_by_role("heading", name=re.compile("Give a treatment at"))).to_be_visible()
    page.locator("[data-gift-services]").get_by_role("link", name=re.compile("Deep tissue massage")).click()
    expect(page.locator("[data-treatment-total]")).to_contain_text("Price today: £60.00")
    page.get_by_label("Their name").fill("Rosa")
    page.get_by_label("Their email").fill(recipient["email"])
    page.get_by_label("From").fill("Bea")
    assert_accessible(page, "main")
    shoot(page, "treatment-gift", "give")
    page.get_by_role("button", name="Pay securely").click()
    expect(page.get_by_role("heading", name="Pay £60.00")).to_be_visible()
    page.get_by_label("Card number").fill(PAYS)
    page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay £60.00").click()
    expect(page.get_by_role("heading", name="Gift voucher sent")).to_be_visible(timeout=SETTLE_TIMEOUT)
    browser_errors.assert_none()

    mail = read_email(recipient["email"], subject_contains="treatment gift")
    assert "Deep tissue massage" in mail.text
    code = CODE_RE.search(mail.text).group(1)

    rosa = new_context().new_page()
    rosa_errors = watch(rosa)
    sign_in(rosa, recipient["email"], "Rosa")
    hold_the_time_in_cart(rosa, venue)
    rosa.get_by_label("Gift voucher code").fill(code)
    rosa.get_by_role("button", name="Check balance").click()
    expect(rosa.locator("[data-voucher-check]")).to_contain_text("A gift for")
    rosa.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(rosa.get_by_role("heading", name="You're booked")).to_be_visible()
    rosa_errors.assert_none()
