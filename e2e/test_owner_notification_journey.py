"""A venue owner has a page open; a customer books and pays; the owner's bell shows the unread
count without a reload (the poll, every NOTIFICATIONS_POLL_SECONDS, set low for the e2e server
in e2e/conftest.py), the owner opens the notification centre, sees the booking and follows its
link to the booking in the calendar."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible, run_python, seed_venues, sign_in

PASSWORD = "harbour-linen-maple-2026"

# The customer's booking, made and paid the way the demo data makes them (cart, checkout, the
# Demo gateway's paying card, its event settled): the same path and signals as the pages.
BOOK = """
import json, sys
from datetime import UTC, datetime, timedelta
from sqlalchemy import select
from app import create_app
from app.accounts.models import User
from app.platform.extensions import db
from app.demo.reviews import book_visit
from app.venues.models import Service
spec = json.loads(sys.argv[1])
app = create_app()
with app.test_request_context(base_url=app.config.get("BASE_URL") or None):
    customer = db.session.scalar(select(User).where(User.email == spec["email"]))
    service = db.session.get(Service, spec["service_id"])
    booking = book_visit(customer, service, datetime.now(UTC).date() + timedelta(days=4))
    db.session.commit()
    print(json.dumps({"reference": booking.reference}))
"""


def book_and_pay(live_server, email: str, service_id: int) -> str:
    return run_python(live_server, ["-c", BOOK], {"email": email, "service_id": service_id})["reference"]


def test_owner_sees_a_new_booking_arrive_in_the_bell(page: Page, live_server, unique_email, browser_errors):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("booker"), "name": "Cara Booker"}
    owner = {"email": unique_email("owner"), "name": "Owen Harbour"}
    venue_name = f"Harbour Rooms {tag}"
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
                    "address": "8 Harbour Walk",
                    "city": "Bristol",
                    "postcode": "BS1 5AA",
                    "country": "GB",
                    "latitude": 51.45,
                    "longitude": -2.6,
                    "timezone": "Europe/London",
                    "service": "Seaweed wrap",
                    "price_minor": 6500,
                    "team": [],
                }
            ],
        },
    )

    sign_in(page, owner["email"], PASSWORD, "Owen")
    page.goto("/provider/calendar")
    bell = page.locator("#nav-bell")
    expect(bell).to_have_attribute("aria-label", "Notifications")  # asked on load: nothing unread
    expect(bell.locator(".nav-bell-count")).to_have_count(0)

    reference = book_and_pay(live_server, customer["email"], venue["service_id"])

    # No reload: the poll brings the count (the booking; the Demo payouts may add their own notice).
    expect(bell.locator(".nav-bell-count")).to_have_text(re.compile(r"^[1-9][0-9]*$"), timeout=20_000)
    expect(bell).to_have_attribute("aria-label", re.compile(r"^Notifications, [1-9][0-9]* unread$"))
    expect(page.locator("#nav-bell").locator("xpath=..")).to_have_attribute("aria-live", "polite")
    # The bell is drawn and read out (issue 42: its link was never closed, so neither).
    expect(page.get_by_role("link", name=re.compile(r"^Notifications, [1-9][0-9]* unread$"))).to_be_visible()
    expect(bell.locator("i.bi-bell")).to_be_visible()
    assert_accessible(page, "nav")

    bell.click()
    expect(page.get_by_role("heading", name="Your notifications")).to_be_visible()
    title = f"New booking at {venue_name}: Seaweed wrap"
    expect(page.get_by_role("link", name=f"Unread: {title}")).to_have_count(1)  # told once
    expect(page.get_by_text(f"(ref {reference})")).to_be_visible()

    # Mark it read without a page load: the list and the bell follow.
    page.get_by_role("listitem").filter(has_text=title).get_by_role("button", name="Mark read").click()
    expect(page.get_by_role("status").filter(has_text="Marked as read.")).to_be_visible()
    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()  # no longer "Unread:"
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#unread-summary")).to_have_text("All read")
    expect(page.locator("#nav-bell .nav-bell-count")).to_have_count(0)

    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_text(reference).first).to_be_visible()
    assert "/provider/bookings/" in page.url
