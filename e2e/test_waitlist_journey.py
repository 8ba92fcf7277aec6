"""The waitlist in a real browser with the real worker: Wendy joins the waitlist for a fully
booked day; Bea cancels the one booking that filled it; Wendy gets the offer by email and on
My waitlist, books it and pays."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues, watch
from e2e.test_payment_journeys import (
    DAYS_AHEAD,
    HOUR,
    PASSWORD,
    PAYS,
    SETTLE_TIMEOUT,
    TIMEZONE,
    booking_day,
    hold_the_time,
    pay_with,
    sign_in,
)


def set_up_full_day(live_server, venue: str, customers: list[dict]) -> dict:
    """One London venue whose day DAYS_AHEAD is blocked except HOUR:00 (made by the seed)."""
    spec = {
        "password": PASSWORD,
        "customers": customers,
        "venues": [
            {
                "owner_email": f"owner-{uuid.uuid4().hex[:12]}@example.com",
                "owner_name": "Olive Owner",
                "name": venue,
                "address": "3 Birch Lane",
                "city": "London",
                "postcode": "SW1A 1AA",
                "country": "GB",
                "latitude": 51.5072,
                "longitude": -0.1276,
                "timezone": TIMEZONE,
                "service": "Deep tissue massage",
                "price_minor": 6000,
                "team": [],
                "only_hour": {"days_ahead": DAYS_AHEAD, "hour": HOUR},
            }
        ],
    }
    return seed_venues(live_server, spec)[0]


def test_a_cancellation_goes_to_the_waitlist_and_is_booked(
    page: Page, new_context, live_server, unique_email, read_email, browser_errors
):
    bea = {"email": unique_email("booker"), "name": "Bea Booker"}
    wendy = {"email": unique_email("waiter"), "name": "Wendy Waiting"}
    venue = set_up_full_day(live_server, f"Linden Rooms {uuid.uuid4().hex[:6]}", [bea, wendy])

    # -- Bea books the day's one free time, so the day is full. ---------------------------------------
    sign_in(page, bea["email"], "Bea")
    hold_the_time(page, venue)
    pay_with(page, PAYS)
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible(timeout=SETTLE_TIMEOUT)
    browser_errors.assert_none()

    # -- Wendy finds the day full and joins its waitlist. ----------------------------------------------
    wendy_page = new_context().new_page()
    wendy_errors = watch(wendy_page)
    sign_in(wendy_page, wendy["email"], "Wendy")
    wendy_page.goto(f"/venues/{venue['slug']}/book/{venue['service_id']}?day={booking_day()}")
    expect(wendy_page.get_by_text(re.compile(r"No times left on"))).to_be_visible()
    wendy_page.get_by_role("link", name=re.compile(r"^Join the waitlist for ")).click()
    expect(wendy_page.get_by_role("heading", name="Join the waitlist")).to_be_visible()
    expect(wendy_page.get_by_label("Day")).to_have_value(booking_day())
    wendy_page.get_by_role("button", name="Join the waitlist").click()
    expect(wendy_page.get_by_role("heading", name="My waitlist")).to_be_visible()
    expect(wendy_page.locator("[data-position]")).to_have_text("1st in line")
    wendy_errors.assert_none()

    # -- Bea cancels her booking. ------------------------------------------------------------------
    page.get_by_role("region", name="Your bookings").get_by_role("link", name=re.compile(r"^CW-")).click()
    page.get_by_role("link", name="Cancel booking").click()
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_role("status").filter(has_text="Cancelled.")).to_be_visible()
    browser_errors.assert_none()

    # -- Wendy is emailed the offer, sees it on My waitlist, books it and pays. --------------------
    offer = read_email(wendy["email"], subject_contains="A time opened up", timeout=SETTLE_TIMEOUT / 1000)
    assert "Deep tissue massage" in offer.text and f"{HOUR}:00" in offer.text
    wendy_page.goto("/waitlist")
    banner = wendy_page.get_by_role("region", name="A time opened up for you")
    expect(banner).to_contain_text(f"{HOUR}:00")
    expect(banner).to_contain_text(" left")  # the hold counts down
    banner.get_by_role("button", name=re.compile(r"^Book it")).click()
    expect(wendy_page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    expect(wendy_page.get_by_role("region", name="Held for you")).to_contain_text("Held, waiting for payment")
    pay_with(wendy_page, PAYS)
    expect(wendy_page.get_by_role("heading", name="You're booked")).to_be_visible(timeout=SETTLE_TIMEOUT)
    wendy_page.goto("/waitlist")
    expect(wendy_page.get_by_text("Booked from the waitlist")).to_be_visible()
    wendy_errors.assert_none()
