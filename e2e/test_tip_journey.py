"""A tip after a visit in a real browser (issue 47, item 4): Nina opens her past visit, tips 15%
with the demo card and is thanked on the booking's page; the owner sees the tip, all of it the
venue's, under Earnings. The tip form is looked at at 1366x900 and 390x844, light and dark."""

from __future__ import annotations

import time
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible, seed_venues, sign_in
from e2e.screens import shoot
from e2e.test_payment_journeys import PAYS

PASSWORD = "willow-ember-harbour-2026"
SETTLE_TIMEOUT = 45_000  # ms: the worker settles the payment (a busy CI machine: longer)


def test_a_customer_tips_after_a_visit_and_the_owner_sees_it(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    customer = {"email": unique_email("tipper"), "name": "Nina Tipper"}
    owner = {"email": unique_email("owner"), "name": "Iris Willow"}
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Willow Rooms {uuid.uuid4().hex[:6]}",
                    "address": "5 Willow Walk",
                    "city": "Leeds",
                    "postcode": "LS1 4AP",
                    "country": "GB",
                    "latitude": 53.8,
                    "longitude": -1.55,
                    "timezone": "Europe/London",
                    "service": "Hot stone massage",
                    "price_minor": 8000,
                    "team": [],
                    "past_visits": [{"customer_email": customer["email"], "days_ago": 2}],
                }
            ],
        },
    )
    (reference,) = venue["visits"]

    sign_in(page, customer["email"], PASSWORD, "Nina")
    page.goto(f"/bookings/{reference}")
    tip = page.locator("[data-tip-section]")
    expect(tip.get_by_role("heading", name="Add a tip for")).to_be_visible()
    assert_accessible(page, "[data-tip-section]")
    shoot(page, "tips", "form")
    tip.get_by_text("15%").click()
    tip.get_by_role("button", name="Pay the tip securely").click()
    expect(page.get_by_role("heading", name="Pay £12.00")).to_be_visible()
    page.get_by_label("Card number").fill(PAYS)
    page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay £12.00").click()
    # Back on the booking's page; until the worker has settled the payment the tip reads "waiting
    # for payment" (the page does not refresh itself: docs/tips.md), so reload as a customer would.
    deadline = time.monotonic() + SETTLE_TIMEOUT / 1000
    while not page.locator("[data-tip-paid]").count() and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.locator("[data-tip-paid]")).to_contain_text("You tipped £12.00")
    browser_errors.assert_none()

    # The owner, on their own device: a browser of their own, as the other two-person journeys do
    # (clearing this one's cookies raced the customer's page's last requests once on CI).
    owner_page = new_context().new_page()
    sign_in(owner_page, owner["email"], PASSWORD, "Iris")
    owner_page.goto("/provider/earnings")
    expect(owner_page.get_by_role("heading", name="Tips paid in")).to_be_visible()
    expect(owner_page.get_by_text("Tips: £12.00, all of it yours")).to_be_visible()
