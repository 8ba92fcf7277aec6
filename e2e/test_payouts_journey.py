"""A venue owner connects payouts through the Demo gateway's onboarding and sees "Enabled"; a
customer can book only after that; the owner's Earnings page then shows the booking's gross,
commission and net, and the transfer reaching the payout account (the real worker sends it)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues, watch
from e2e.test_payment_journeys import (
    PASSWORD,
    PAYS,
    SETTLE_TIMEOUT,
    booking_day,
    hold_the_time,
    pay_with,
    sign_in,
)


def test_an_owner_connects_payouts_then_sees_earnings(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    owner = {"email": unique_email("payouts-owner"), "name": "Pia Payouts"}
    customer = {"email": unique_email("payouts-customer"), "name": "Cora Customer"}
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Ledger Rooms {tag}",
                    "address": "5 Mint Street",
                    "city": "London",
                    "postcode": "SE1 1AA",
                    "country": "GB",
                    "latitude": 51.5,
                    "longitude": -0.09,
                    "timezone": "Europe/London",
                    "service": "Deep tissue massage",
                    "price_minor": 6000,
                    "team": [],
                    "payouts": False,
                }
            ],
        },
    )

    # -- Before the owner connects, the venue says it can't take online bookings: no time to pick. --
    cora = new_context().new_page()
    sign_in(cora, customer["email"], "Cora")
    cora.goto(f"/venues/{venue['slug']}/book/{venue['service_id']}?day={booking_day()}")
    expect(cora.locator("[data-not-bookable]")).to_contain_text("Not taking online bookings yet")
    expect(cora.get_by_role("list", name="Free times")).to_have_count(0)
    cora_errors = watch(cora)

    # -- The owner connects through the demo onboarding and sees "Enabled". --------------------------
    sign_in(page, owner["email"], "Pia")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Payouts").click()
    expect(page.get_by_role("heading", name="Payouts", exact=True)).to_be_visible()
    expect(page.locator("[data-payout-status]")).to_have_text("Not connected")
    page.get_by_role("button", name="Connect with Stripe").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Set up payouts for Ledger Rooms"))).to_be_visible()
    page.get_by_role("button", name="Complete onboarding").click()
    expect(page.locator("[data-payout-status]")).to_have_text("Enabled")
    expect(page.get_by_role("status").filter(has_text="Payout account: Enabled.")).to_be_visible()
    browser_errors.assert_none()

    # -- Now the customer books and pays. -------------------------------------------------------------
    hold_the_time(cora, venue)
    pay_with(cora, PAYS)
    expect(cora.get_by_role("heading", name="You're booked")).to_be_visible(timeout=SETTLE_TIMEOUT)
    cora_errors.assert_none()

    # -- The owner's earnings: gross £60, commission £9 (15%), net £51, paid out once the worker sent it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Earnings").click()
    expect(page.get_by_role("heading", name="Earnings", exact=True)).to_be_visible()
    row = page.locator("tr[data-period]").first
    expect(row).to_contain_text("£60.00")
    expect(row).to_contain_text("£9.00")
    expect(row).to_contain_text("£51.00")
    expect(page.locator("tr[data-booking]")).to_have_count(1)

    def paid_out() -> str:
        page.reload()
        return page.locator("tr[data-period]").first.locator("td").nth(4).inner_text()

    for _ in range(20):
        if paid_out() == "£51.00":
            break
        page.wait_for_timeout(1000)
    expect(page.locator("tr[data-period]").first.locator("td").nth(4)).to_have_text("£51.00")
    page.get_by_role("button", name="By week").or_(page.get_by_role("link", name="By week")).click()
    expect(page.locator("tr[data-period]").first).to_contain_text("Week of")
    csv_link = page.get_by_role("link", name="Download CSV")
    expect(csv_link).to_have_attribute(
        "href", re.compile(r"/provider/earnings\.csv\?period=week&start=\d{4}-\d{2}-\d{2}")
    )
    browser_errors.assert_none()
