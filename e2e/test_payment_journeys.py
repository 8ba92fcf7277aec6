"""Paying with the Demo gateway in a real browser, with the real job worker settling events:
a declined card releases the held time for the next customer; a free cancellation is
refunded and the booking page says so."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues, watch
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "harbour-maple-quartz-2026"
PAYS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
TIMEZONE = "Europe/London"
DAYS_AHEAD = 4  # well outside the 24-hour free cancellation window
HOUR = 11
SETTLE_TIMEOUT = 20_000  # ms: the worker picks up the settle and refund jobs

# One approved London venue (open 09:00-18:00 daily) with one 60-minute service at £60.00 for
# one person at a time, and the customers, made with the app's own service functions.


def set_up(live_server, venue: str, customers: list[dict]) -> dict:
    spec = {
        "password": PASSWORD,
        "customers": customers,
        "venues": [
            {
                "owner_email": f"owner-{uuid.uuid4().hex[:12]}@example.com",
                "owner_name": "Olive Owner",
                "name": venue,
                "address": "12 Elm Street",
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
    }
    return seed_venues(live_server, spec)[0]


def sign_in(page: Page, address: str, first_name: str) -> None:
    e2e_sign_in(page, address, PASSWORD, first_name)


def booking_day() -> str:
    return (datetime.now(ZoneInfo(TIMEZONE)).date() + timedelta(days=DAYS_AHEAD)).isoformat()


def hold_the_time(page: Page, venue: dict) -> None:
    """The day's times, 11:00, Add to cart, Check out: the order page with the time held."""
    page.goto(f"/venues/{venue['slug']}/book/{venue['service_id']}?day={booking_day()}")
    page.get_by_role("list", name="Free times").get_by_role(
        "link", name=re.compile(rf"^{HOUR}:00 ?, 1 place left$")
    ).click()
    details = page.locator("#slot-details")
    details.get_by_role("button", name="Add to cart").click()
    expect(details.get_by_role("status")).to_contain_text("Added Deep tissue massage to your cart.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cart (1)").click()
    page.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    expect(page.get_by_role("region", name="Held for you")).to_contain_text("Held, waiting for payment")


def pay_with(page: Page, card: str) -> None:
    """From the order page: Pay securely, then the demo checkout with ``card``."""
    page.get_by_role("button", name="Pay £60.00 securely").click()
    expect(page.get_by_role("heading", name="Pay £60.00")).to_be_visible()
    expect(page.get_by_role("region", name="Order summary")).to_contain_text("Deep tissue massage")
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay £60.00").click()


def test_a_declined_card_releases_the_time_and_someone_else_books_it(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    first = {"email": unique_email("declined"), "name": "Dora Declined"}
    second = {"email": unique_email("next"), "name": "Nina Next"}
    venue = set_up(live_server, f"Harbour Rooms {uuid.uuid4().hex[:6]}", [first, second])

    # -- Dora holds 11:00 and pays with the card that is always declined. --------------------------
    sign_in(page, first["email"], "Dora")
    hold_the_time(page, venue)
    pay_with(page, DECLINED)
    expect(page).to_have_url(re.compile(r"/payments/return/\d+$"))
    expect(page.get_by_role("heading", name="Your payment didn't go through")).to_be_visible(timeout=SETTLE_TIMEOUT)
    expect(page.get_by_text("We've released the times we were holding for you.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Book Deep tissue massage at .* again$"))).to_be_visible()
    browser_errors.assert_none()

    # -- Nina finds 11:00 free at once, holds it and pays. -----------------------------------------
    nina = new_context().new_page()
    nina_errors = watch(nina)
    sign_in(nina, second["email"], "Nina")
    hold_the_time(nina, venue)
    pay_with(nina, PAYS)
    expect(nina.get_by_role("heading", name="You're booked")).to_be_visible(timeout=SETTLE_TIMEOUT)
    expect(nina.get_by_role("region", name="Your bookings")).to_contain_text("Confirmed")
    nina_errors.assert_none()


def test_cancelling_inside_the_free_window_refunds_the_card(
    page: Page, live_server, unique_email, read_email, browser_errors
):
    customer = {"email": unique_email("refund"), "name": "Rosa Refund"}
    venue = set_up(live_server, f"Quay Spa {uuid.uuid4().hex[:6]}", [customer])

    # -- Rosa pays; the return page confirms once the worker has settled the payment. -------------
    sign_in(page, customer["email"], "Rosa")
    hold_the_time(page, venue)
    pay_with(page, PAYS)
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible(timeout=SETTLE_TIMEOUT)
    receipt = read_email(customer["email"], subject_contains="Receipt")
    assert "£60.00" in receipt.text and "Deep tissue massage" in receipt.text

    # The receipt page shows the number the email gave.
    number = re.search(r"Receipt number: (\d+)", receipt.text).group(1)
    page.get_by_role("link", name=f"View receipt {number}").click()
    expect(page.get_by_role("heading", name=f"Receipt {number}")).to_be_visible()
    expect(page.locator("[data-total]")).to_have_text("£60.00")
    page.go_back()

    # -- She cancels, free of charge: a refund of the full price is recorded and settles. ----------
    page.get_by_role("region", name="Your bookings").get_by_role("link", name=re.compile(r"^CW-")).click()
    expect(page.get_by_text("Free cancellation until")).to_be_visible()
    page.get_by_role("link", name="Cancel booking").click()
    expect(page.locator("[data-refund]")).to_have_text("£60.00")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_role("status").filter(has_text="Cancelled. Refund due: £60.00")).to_be_visible()

    refunded = page.locator('[data-refund-status="succeeded"]')
    deadline = time.monotonic() + SETTLE_TIMEOUT / 1000
    while refunded.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(refunded).to_have_text(re.compile(r"Refunded to your card: £60\.00"))
    browser_errors.assert_none()
