"""A package in a real browser (issue 47, item 1: "buying a package and booking with it"): the
owner of Willow Rooms makes "Five stones", five hot stone massages to use within 180 days for
£300, on the provider's pages; Nina finds it on the venue page, buys it with the demo card and
sees it on My packages; she books a massage, the cart says the package covers it, checkout
confirms the booking with nothing to pay, and My packages counts one session used. The package
page, the cart, the confirmed order and My packages are looked at at 1366x900 and 390x844, light and dark."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible, seed_venues, sign_in
from e2e.screens import shoot
from e2e.test_payment_journeys import PAYS

PASSWORD = "stone-harbour-lantern-2026"
TIMEZONE = "Europe/London"
VALID_DAYS = 180
DAYS_AHEAD = 4  # well inside the package's 180 days, well outside the free cancellation window
HOUR = 11
SETTLE_TIMEOUT = 45_000  # ms: the worker settles the payment (a busy CI machine: longer)


def ends_on() -> set[str]:
    """The day the package ends, as My packages writes it ("27 May 2027"): 180 days from today in
    the venue's time zone (either day, should the payment settle across midnight)."""
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    return {format_date(today + timedelta(days=VALID_DAYS + extra), "d MMM yyyy", locale="en_GB") for extra in (0, 1)}


def test_a_customer_buys_a_package_and_books_with_it(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    customer = {"email": unique_email("nina"), "name": "Nina Stone"}
    owner = {"email": unique_email("owner"), "name": "Iris Willow"}
    venue_name = f"Willow Rooms {uuid.uuid4().hex[:6]}"
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": venue_name,
                    "address": "5 Willow Walk",
                    "city": "Leeds",
                    "postcode": "LS1 4AP",
                    "country": "GB",
                    "latitude": 53.8,
                    "longitude": -1.55,
                    "timezone": TIMEZONE,
                    "service": "Hot stone massage",
                    "price_minor": 8000,
                    "team": [],
                }
            ],
        },
    )

    # The owner, on their own device, makes the package on the provider's pages.
    owner_page = new_context().new_page()
    sign_in(owner_page, owner["email"], PASSWORD, "Iris")
    owner_page.goto("/provider/packages")
    owner_page.get_by_role("link", name="New package").click()
    expect(owner_page.get_by_role("heading", name="New package", level=1)).to_be_visible()
    owner_page.get_by_label("Package name").fill("Five stones")
    owner_page.get_by_label("Service", exact=True).select_option(label="Hot stone massage")
    owner_page.get_by_label("Option", exact=True).select_option(label="Any option")
    owner_page.get_by_label("Sessions").fill("5")
    owner_page.get_by_label("Use within (days)").fill(str(VALID_DAYS))
    owner_page.get_by_label("Price for the package (£)").fill("300")
    owner_page.get_by_role("button", name="Create package").click()
    expect(owner_page.get_by_text("Package “Five stones” created.")).to_be_visible()
    offers = owner_page.locator("[data-packages]")
    expect(offers).to_contain_text("5 sessions of Hot stone massage, to use within 180 days")
    expect(offers).to_contain_text("£300.00")
    expect(offers).to_contain_text("£400.00")  # five massages one by one: the saving the owner offers

    # Nina finds it on the venue page and opens its page.
    sign_in(page, customer["email"], PASSWORD, "Nina")
    page.goto(f"/venues/{venue['slug']}")
    packages = page.get_by_role("region", name="Packages")
    expect(packages).to_contain_text("Five stones")
    expect(packages).to_contain_text("5 sessions of Hot stone massage, to use within 180 days")
    packages.get_by_role("link", name=re.compile(r"^See the package ?: Five stones$")).click()
    expect(page.get_by_role("heading", name="Five stones", level=1)).to_be_visible()
    expect(page.locator("[data-package-price]")).to_have_text("£300.00")
    expect(page.locator("[data-package-usual]")).to_have_text("usually £400.00")
    assert_accessible(page, "main")
    shoot(page, "packages", "package")

    # She buys it with the demo card and lands on My packages once the worker has settled it.
    page.get_by_role("button", name="Buy for £300.00").click()
    expect(page.get_by_role("heading", name="Pay £300.00")).to_be_visible()
    page.get_by_label("Card number").fill(PAYS)
    page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay £300.00").click()
    expect(page.get_by_role("heading", name="My packages", level=1)).to_be_visible(timeout=SETTLE_TIMEOUT)
    # Until the worker has settled the payment the package isn't listed (an unpaid package covers
    # nothing); My packages doesn't refresh itself, so reload as a customer would.
    held = page.locator("[data-held-package]").filter(has_text="Five stones")
    deadline = time.monotonic() + SETTLE_TIMEOUT / 1000
    while not held.count() and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        page.reload()
    status = held.locator("[data-package-status]")
    expect(status).to_have_text(re.compile(r"^5 of 5 left, until (.+)$"))
    until = status.inner_text().removeprefix("5 of 5 left, until ")
    assert until in ends_on(), f"the package ends on {until!r}, not {VALID_DAYS} days from today ({ends_on()})"
    expect(held).to_contain_text(f"at {venue_name}")
    expect(held).to_contain_text("Hot stone massage · £300.00")
    browser_errors.assert_none()

    # She books a massage from My packages' "Book a session": a day, a time, Add to cart.
    held.get_by_role("link", name=re.compile(r"^Book a session ?: Five stones$")).click()
    expect(page.get_by_role("heading", name="Book Hot stone massage")).to_be_visible()
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    day = today + timedelta(days=DAYS_AHEAD)
    calendar = page.locator("#booking-calendar")
    if day.month != today.month:
        calendar.get_by_role("link", name="Next month").click()
    day_name = f"{day:%A} {day.day} {day:%B %Y}"
    calendar.get_by_role("link", name=re.compile(rf"^{day_name}, \d+ times? free$")).click()
    expect(page.get_by_role("heading", name=f"Times on {day_name}")).to_be_visible()
    page.get_by_role("list", name="Free times").get_by_role(
        "link", name=re.compile(rf"^{HOUR}:00 ?, 1 place left$")
    ).click()
    details = page.locator("#slot-details")
    details.get_by_role("button", name="Add to cart").click()
    expect(details.get_by_role("status")).to_contain_text("Added Hot stone massage to your cart.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cart (1)").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.locator("[data-package-note]")).to_have_text(
        "Covered by your package “Five stones”: 4 of 5 left after this."
    )
    assert_accessible(page, "main")
    shoot(page, "packages", "cart")

    # Checkout: the package pays for the treatment, so the order is confirmed at once, no card.
    page.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    bookings = page.get_by_role("region", name="Your bookings")
    expect(bookings).to_contain_text("Hot stone massage")
    expect(bookings).to_contain_text("£0.00")
    expect(page.get_by_role("button", name=re.compile("securely"))).to_have_count(0)
    shoot(page, "packages", "booked")

    # My packages counts the session used.
    page.goto("/account/packages")
    held = page.locator("[data-held-package]").filter(has_text="Five stones")
    expect(held.locator("[data-package-status]")).to_have_text(f"4 of 5 left, until {until}")
    assert_accessible(page, "main")
    shoot(page, "packages", "mine")
    browser_errors.assert_none()
