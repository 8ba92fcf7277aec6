"""A venue owner makes a promo code on their dashboard; a customer adds it in the cart (HTMX:
a refused code says why, a good one shows the discount), checks out, pays the discounted
amount with the Demo card, and the receipt shows the code's line."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues, watch
from e2e.conftest import sign_in as e2e_sign_in
from e2e.test_payment_journeys import PASSWORD, PAYS, SETTLE_TIMEOUT, TIMEZONE, hold_the_time
from e2e.test_payment_journeys import sign_in as customer_sign_in


def test_a_customer_pays_less_with_a_venues_promo_code(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    customer = {"email": unique_email("promo"), "name": "Paula Promo"}
    owner_email = f"owner-{uuid.uuid4().hex[:12]}@example.com"
    venue = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner_email,
                    "owner_name": "Olive Owner",
                    "name": f"Willow Spa {uuid.uuid4().hex[:6]}",
                    "address": "3 Willow Walk",
                    "city": "London",
                    "postcode": "SW1A 1AA",
                    "country": "GB",
                    "latitude": 51.5072,
                    "longitude": -0.1276,
                    "timezone": TIMEZONE,
                    "service": "Deep tissue massage",
                    "price_minor": 6000,
                    "team": [],
                }
            ],
        },
    )[0]
    code = f"WILLOW{uuid.uuid4().hex[:4].upper()}"

    # -- The owner creates a 20% code for their venue. ---------------------------------------------
    owner_page = new_context().new_page()
    owner_errors = watch(owner_page)
    e2e_sign_in(owner_page, owner_email, PASSWORD, "Olive")
    main_nav = owner_page.get_by_role("navigation", name="Main")
    main_nav.get_by_role("button", name="Sell").click()  # promo codes, packages, memberships
    main_nav.get_by_role("link", name="Promo codes").click()
    expect(owner_page.get_by_role("heading", name="Promo codes")).to_be_visible()
    owner_page.get_by_role("textbox", name="Code", exact=True).fill(code)
    owner_page.get_by_label("Discount", exact=True).select_option("percent")
    owner_page.get_by_label("Percentage or amount off").fill("20")
    owner_page.get_by_label("Uses per customer (optional)").fill("1")
    owner_page.get_by_role("button", name="Create code").click()
    expect(
        owner_page.get_by_role("alert")
        .or_(owner_page.get_by_role("status"))
        .filter(has_text=f"Promo code {code} created.")
    ).to_be_visible()
    expect(owner_page.get_by_role("row", name=re.compile(code))).to_contain_text("20% off")
    owner_errors.assert_none()

    # -- The customer puts a time in the cart and tries a code that doesn't exist. ------------------
    customer_sign_in(page, customer["email"], "Paula")
    hold_the_time(page, venue)
    page.get_by_role("button", name="Change my order").click()  # back to the cart with the item
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    summary = page.get_by_role("complementary")
    summary.get_by_label("Add a promo code").fill("NOSUCHCODE")
    summary.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-promo-error]")).to_have_text("There is no promo code NOSUCHCODE. Check its spelling.")
    expect(page.locator("[data-promo-error]")).to_be_focused()
    # The refusal is a 422, which Chromium logs for the HTMX request: that one is expected.
    refusals = [(text, url) for text, url in browser_errors.console if "422" in text and url.endswith("/cart/promo")]
    assert len(refusals) == 1, browser_errors.console
    browser_errors.console = [entry for entry in browser_errors.console if entry not in refusals]

    # -- The real code, typed in lower case: the discount line and what to pay. ---------------------
    summary.get_by_label("Add a promo code").fill(code.lower())
    summary.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-promo-code]")).to_have_text(code)
    expect(page.locator("[data-promo-discount]")).to_have_text("−£12.00")
    expect(page.locator("[data-cart-to-pay]")).to_have_text("£48.00")
    expect(page.get_by_text(f"Promo code {code} added.")).to_be_visible()  # the toast

    # -- Check out and pay the discounted amount with the demo card. --------------------------------
    summary.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    expect(page.locator("[data-promo-line]")).to_contain_text("−£12.00")
    page.get_by_role("button", name="Pay £48.00 securely").click()
    expect(page.get_by_role("heading", name="Pay £48.00")).to_be_visible()
    expect(page.locator("[data-promo-line]")).to_contain_text(code)
    page.get_by_label("Card number").fill(PAYS)
    page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay £48.00").click()
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible(timeout=SETTLE_TIMEOUT)

    # -- The receipt shows the code's line and the total paid. --------------------------------------
    page.get_by_role("link", name=re.compile(r"^View receipt")).click()
    expect(page.locator("[data-promo-line]")).to_contain_text(code)
    expect(page.locator("[data-total]")).to_have_text("£48.00")
    browser_errors.assert_none()
