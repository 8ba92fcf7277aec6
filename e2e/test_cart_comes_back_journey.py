"""A payment never costs the customer their choices, in a real browser with the real worker:
a declined card puts the item back in the cart; the held time shows on My bookings with its
countdown; "Change my order" lets it go at once and returns to the cart."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from e2e.test_payment_journeys import DECLINED, SETTLE_TIMEOUT, hold_the_time, pay_with, set_up, sign_in


def test_a_declined_card_and_a_change_of_mind_keep_the_cart(page: Page, live_server, unique_email, browser_errors):
    dora = {"email": unique_email("cartback"), "name": "Dora Declined"}
    venue = set_up(live_server, f"Willow Rooms {uuid.uuid4().hex[:6]}", [dora])
    sign_in(page, dora["email"], "Dora")

    # -- Declined: the return page sends her to her cart, where the massage is waiting. ------------
    hold_the_time(page, venue)
    pay_with(page, DECLINED)
    expect(page.get_by_role("heading", name="Your payment didn't go through")).to_be_visible(timeout=SETTLE_TIMEOUT)
    page.get_by_role("link", name="Go to your cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("One item is back in your cart from an order that wasn't paid")).to_be_visible()
    expect(page.locator("#cart")).to_contain_text("Deep tissue massage")
    page.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()

    # -- Held: My bookings shows it with the hold counting down. -----------------------------------
    order_url = page.url
    page.goto("/bookings")
    held = page.get_by_role("listitem").filter(has_text="Held for you until")
    expect(held).to_contain_text(" left")  # the countdown ticks ("— 29:59 left")
    held.get_by_role("link", name="Pay or change your order").click()
    expect(page).to_have_url(order_url)

    # -- Change my order: straight back to the cart, the time free again. --------------------------
    page.get_by_role("button", name="Change my order").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("Your held times are released and your 1 item is back in your cart.")).to_be_visible()
    page.goto("/bookings")
    expect(page.get_by_text("No upcoming bookings.")).to_be_visible()
    browser_errors.assert_none()
