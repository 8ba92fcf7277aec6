"""Rebooking with the same person (issue 47, item 5): a customer follows "Book with Anna" from the
venue's team, picks one of Anna's next free times, books and pays; from her booking, "Book with
Anna" brings her back to Anna's times, and "Anyone available" to everyone's."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues
from e2e.conftest import sign_in as e2e_sign_in
from e2e.test_booking_journey import PASSWORD, pay


def test_a_customer_books_with_anna_and_books_with_her_again(page: Page, live_server, unique_email, browser_errors):
    tag = uuid.uuid4().hex[:6]
    customer_email = unique_email("guest")
    (made,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [{"email": customer_email, "name": "Nora Guest"}],
            "venues": [
                {
                    "name": f"Juniper Rooms {tag}",
                    "owner_email": unique_email("owner"),
                    "owner_name": "Ivy Juniper",
                    "timezone": "Europe/London",
                    "service": "Hot stone massage",
                    "price_minor": 7000,
                    "team": ["Anna", "Ben"],
                    "city": "London",
                    "address": "4 Fern Lane",
                    "postcode": "SW1A 1AA",
                    "country": "GB",
                    "latitude": 51.5072,
                    "longitude": -0.1276,
                }
            ],
        },
    )
    e2e_sign_in(page, customer_email, PASSWORD, "Nora")

    # -- 1. The venue's team: "Book with Anna". ----------------------------------------------------
    page.goto(f"/venues/{made['slug']}")
    page.get_by_role("link", name="Book with Anna").click()
    expect(page.get_by_text("Booking with Anna")).to_be_visible()
    assert "with=" in page.url
    next_free = page.locator("[data-next-free-time]")
    expect(next_free).to_have_count(5)

    # -- 2. One of her next free times: the form has her picked. -----------------------------------
    first_time = next_free.first.get_attribute("href")
    next_free.first.click()  # HTMX swaps the calendar and the day in, the time's form open
    expect(page.get_by_label("Team member")).to_be_visible()
    expect(page.locator("#team_member_id option:checked")).to_have_text("Anna")
    assert page.url.endswith(first_time)

    # -- 3. Another day in the calendar keeps her: its times are hers, and so is the form. ----------
    day = page.locator("a[data-day]").last
    iso = day.get_attribute("data-day")
    day.click()
    expect(page.locator(f'#booking-slots [data-slots-for="{iso}"]')).to_be_visible()
    expect(page.locator("#slots-heading")).to_contain_text("Times with Anna on")
    time = page.locator("#booking-slots ul a").first
    href = time.get_attribute("href")
    assert "with=" in href
    time.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.locator("#team_member_id option:checked")).to_have_text("Anna")

    # -- 4. Into the cart with Anna, checked out and paid. -----------------------------------------
    details = page.locator("#slot-details")
    details.get_by_role("button", name="Add to cart").click()
    expect(details.get_by_role("status")).to_contain_text("Added Hot stone massage to your cart.")
    page.goto("/cart")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("Anna").first).to_be_visible()
    page.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    pay(page, total="£70.00")

    # -- 5. Her booking: "Book with Anna" comes back to Anna's times; "Anyone available" to all. ----
    page.goto("/bookings")
    page.locator('a[href^="/bookings/"]').first.click()
    expect(page.get_by_role("link", name="Book again")).to_have_attribute("href", re.compile(r"\?with=\d+$"))
    page.get_by_role("link", name="Book with Anna").click()
    expect(page.get_by_text("Booking with Anna")).to_be_visible()
    page.get_by_role("link", name="Anyone available").click()
    expect(page.get_by_text("Booking with Anna")).to_have_count(0)
    assert "with=" not in page.url
