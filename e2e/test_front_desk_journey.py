"""The front desk books a walk-in from the calendar ("New booking": a new client, a service, one
of the free times, paid at the venue); the walk-in then appears in the client book with their
booking, and the desk writes a private note on their card.

Written as the venue's owner: staff logins come separately. The desk's steps are one helper
(``book_a_walk_in``) so the journey can switch to a receptionist's login without changing them.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "walnut-desk-lantern-2026"
TZ = "Europe/London"


def book_a_walk_in(page: Page, *, day, name: str, phone: str, email: str) -> None:
    """From the calendar: "New booking", a new client, the first free time of the service that day."""
    page.goto(f"/provider/calendar?date={day.isoformat()}")
    page.get_by_role("link", name="New booking").click()
    expect(page.get_by_role("heading", name="New booking at the desk")).to_be_visible()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Phone (optional)").fill(phone)
    page.get_by_label("Email (optional)").fill(email)
    page.get_by_label("Service").select_option(label="Hot stone massage (60 min)")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Date").dispatch_event("change")
    expect(page.locator("select#desk-time option").first).to_be_attached()
    page.get_by_role("button", name="Book", exact=True).click()


def test_a_walk_in_booked_at_the_desk_appears_in_the_client_book(page: Page, live_server, browser_errors):
    tag = uuid.uuid4().hex[:6]
    owner_email = f"desk-owner-{tag}@example.com"
    venue = {
        "owner_email": owner_email,
        "owner_name": "Rita Reception",
        "name": f"Walnut Rooms {tag}",
        "address": "5 Oak Street",
        "city": "London",
        "postcode": "SW1A 1AA",
        "country": "GB",
        "latitude": 51.5072,
        "longitude": -0.1276,
        "timezone": TZ,
        "service": "Hot stone massage",
        "price_minor": 7000,
        "team": [],
    }
    seed_venues(live_server, {"password": PASSWORD, "customers": [], "venues": [venue]})
    day = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=3)
    walk_in = f"Wanda Walkin {tag}"

    e2e_sign_in(page, owner_email, PASSWORD, "Rita")
    book_a_walk_in(page, day=day, name=walk_in, phone="+44 7700 900111", email=f"wanda-{tag}@example.com")

    # The booking page: confirmed, booked at the desk, the client named, paid at the venue.
    expect(page.get_by_text("Booked at the desk")).to_be_visible()
    expect(page.get_by_text(walk_in).first).to_be_visible()
    page.get_by_role("link", name="Open the client card").click()

    # The client card: one upcoming booking; the desk adds a private note and a tag.
    expect(page.get_by_role("heading", name=walk_in, level=1)).to_be_visible()
    expect(page.locator("#client-history li")).to_have_count(1)
    page.get_by_label("Notes", exact=True).fill("Prefers a quiet room.")
    page.get_by_label("Tags", exact=True).fill("walk-in, quiet")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("status").filter(has_text="Notes and tags saved")).to_be_visible()

    # The client book lists them, found by phone.
    page.goto("/provider/clients")
    page.get_by_label("Search by name, email or phone").fill("900111")
    page.get_by_role("button", name="Search").click()
    row = page.locator("#client-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(walk_in)
    expect(row).to_contain_text("quiet")
