"""Request-to-book: a customer books a service the venue set to "Request to book" and pays as
usual; her booking waits for the venue. In one journey the owner accepts it from the Requests
page and she sees it confirmed (and is emailed); in the other nobody answers, the window runs
out, the request lapses and she is refunded in full and told why."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.conftest import ROOT, seed_venues, watch
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "harbour-willow-amber-2026"
ZONE = "Europe/London"
HOUR = 11


def set_up(live_server, customer: dict, owner: dict, tag: str) -> dict:
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Juniper Rooms {tag}",
                    "address": "3 Juniper Row",
                    "city": "London",
                    "postcode": "N1 7AA",
                    "country": "GB",
                    "latitude": 51.53,
                    "longitude": -0.1,
                    "timezone": ZONE,
                    "service": "Sea salt scrub",
                    "price_minor": 5000,
                    "team": [],
                    "request_window_hours": 12,
                }
            ],
        },
    )
    return venue


def book_and_pay(page: Page, venue: dict) -> str:
    """From the venue page: the rules are shown; book the request service, check out, pay.
    Returns the booking's reference."""
    page.goto(f"/venues/{venue['slug']}")
    promise = "Request to book: the venue confirms within 12 hours, or you get a full refund."
    expect(page.get_by_role("region", name="Services")).to_contain_text(promise)
    day = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=3)
    start = datetime(day.year, day.month, day.day, HOUR, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
    page.goto(
        f"/venues/{venue['slug']}/book/{venue['service_id']}?day={day.isoformat()}"
        f"&start={start.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
    expect(page.get_by_text(promise)).to_be_visible()
    details = page.locator("#slot-details")
    details.get_by_role("button", name="Add to cart").click()
    expect(details.get_by_role("status")).to_contain_text("Added Sea salt scrub to your cart.")
    page.goto("/cart")
    expect(page.get_by_text(promise)).to_be_visible()
    page.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    page.get_by_role("button", name="Pay £50.00 securely").click()
    expect(page.get_by_role("heading", name="Pay £50.00", level=1)).to_be_visible()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date (MM/YY)").fill(f"12/{(datetime.now(UTC).year + 2) % 100:02d}")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay £50.00", exact=True).click()
    expect(page.get_by_text("Payment received.")).to_be_visible(timeout=20_000)
    booked = page.get_by_role("region", name="Your bookings")
    item = booked.get_by_role("listitem").filter(has_text="Sea salt scrub")
    expect(item).to_contain_text("Requested: waiting for the venue to accept")
    return item.get_by_role("link", name=re.compile(r"^CW-[2-9A-Z]{4}-[2-9A-Z]{4}$")).inner_text()


def test_the_owner_accepts_a_request_and_the_customer_sees_it_confirmed(
    page: Page, new_context, live_server, unique_email, read_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("requester"), "name": "Rita Requester"}
    owner = {"email": unique_email("request-owner"), "name": "Olga Owner"}
    venue = set_up(live_server, customer, owner, tag)

    e2e_sign_in(page, customer["email"], PASSWORD, "Rita")
    reference = book_and_pay(page, venue)
    page.goto(f"/bookings/{reference}")
    expect(page.get_by_text("Requested: waiting for the venue to accept").first).to_be_visible()
    browser_errors.assert_none()

    # The owner finds it on the Requests page and accepts it.
    provider = new_context().new_page()
    errors = watch(provider)
    e2e_sign_in(provider, owner["email"], PASSWORD, "Olga")
    provider.goto("/provider/calendar")
    provider.get_by_role("link", name="Requests").click()
    expect(provider.get_by_role("heading", name="Requests to book", level=1)).to_be_visible()
    row = provider.locator(f'[data-request="{reference}"]')
    expect(row).to_contain_text("Sea salt scrub")
    expect(row).to_contain_text("Rita Requester")
    row.get_by_role("button", name=re.compile(r"^Accept")).click()
    expect(provider.get_by_text("Request accepted.")).to_be_visible()
    expect(provider.locator("[data-request-state]")).to_have_text(re.compile("Accepted by the venue"))
    provider.goto("/provider/requests")
    expect(provider.get_by_text("No requests waiting.")).to_be_visible()
    errors.assert_none()

    # The customer is emailed, and her booking now reads Confirmed.
    email = read_email(customer["email"], subject_contains="Confirmed:")
    assert reference in email.text and "accepted your request" in email.text
    page.goto(f"/bookings/{reference}")
    expect(page.get_by_text("Requested: waiting for the venue to accept")).to_have_count(0)
    expect(page.get_by_text("Confirmed").first).to_be_visible()


def test_an_unanswered_request_lapses_and_the_customer_is_refunded(
    page: Page, live_server, unique_email, read_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("lapser"), "name": "Lena Lapse"}
    owner = {"email": unique_email("silent-owner"), "name": "Sam Silent"}
    venue = set_up(live_server, customer, owner, tag)

    e2e_sign_in(page, customer["email"], PASSWORD, "Lena")
    reference = book_and_pay(page, venue)

    # The window runs out: the lapse job (e2e/request_clock.py) cancels and refunds it, once.
    for expected in ("1", "0"):
        result = subprocess.run(
            [sys.executable, "-m", "e2e.request_clock", reference],
            cwd=ROOT,
            env=live_server.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if expected == "0":  # nothing is pending any more: the helper refuses a second lapse
            assert result.returncode != 0 and "no pending request" in result.stderr
        else:
            assert result.returncode == 0, result.stderr
            assert result.stdout.strip().splitlines()[-1] == expected

    email = read_email(customer["email"], subject_contains="Cancelled:")
    assert reference in email.text
    assert "didn't answer your request in time" in email.text
    assert "Refund due: 50.00 GBP." in email.text
    page.goto(f"/bookings/{reference}")
    expect(page.get_by_text("Cancelled by the venue").first).to_be_visible()
    browser_errors.assert_none()
