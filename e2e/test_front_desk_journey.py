"""The front desk books a walk-in from the calendar ("New booking": a new client, a service, one
of the free times, paid at the venue); the walk-in then appears in the client book with their
booking, and the desk writes a private note on their card.

The owner invites a receptionist (docs/staff-roles.md), who accepts the emailed link and runs
the desk with a login of their own.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.conftest import invite_staff, seed_venues, watch
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "walnut-desk-lantern-2026"
DESK_PASSWORD = "harbour-quill-meadow-73"
TZ = "Europe/London"


def book_a_walk_in(page: Page, *, day, name: str, phone: str, email: str) -> None:
    """From the calendar: "New booking", a new client, the first free time of the service that day."""
    page.goto(f"/provider/calendar?date={day.isoformat()}")
    page.get_by_role("link", name="New booking").click()
    expect(page.get_by_role("heading", name="New booking at the desk")).to_be_visible()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Phone (optional)").fill(phone)
    page.get_by_label("Email (optional)").fill(email)
    page.get_by_label("Service").select_option(label="Hot stone massage (60 min, £70.00)")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Date").dispatch_event("change")
    expect(page.locator("select#desk-time option").first).to_be_attached()
    page.get_by_role("button", name="Book", exact=True).click()


def test_a_receptionist_books_a_walk_in_who_appears_in_the_client_book(
    page: Page, browser, live_server, browser_errors, read_email, unique_email
):
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

    # The owner invites Rhea as a receptionist; Rhea accepts and signs in to the calendar.
    e2e_sign_in(page, owner_email, PASSWORD, "Rita")
    rhea_email = unique_email("rhea")
    owner_page = page
    page = invite_staff(
        owner_page,
        browser,
        live_server,
        read_email,
        email=rhea_email,
        role="receptionist",
        name="Rhea Desk",
        password=DESK_PASSWORD,
    )
    desk_errors = watch(page)
    e2e_sign_in(page, rhea_email, DESK_PASSWORD, "Rhea")
    book_a_walk_in(page, day=day, name=walk_in, phone="+44 7700 900111", email=f"wanda-{tag}@example.com")

    # The booking page: confirmed, booked at the desk, the client named, paid at the venue.
    expect(page.get_by_text("Booked at the desk")).to_be_visible()
    expect(page.get_by_text(walk_in).first).to_be_visible()
    page.get_by_role("link", name="Open the client card").click()

    # The client card: one upcoming booking; the desk adds a private note and a tag.
    expect(page.get_by_role("heading", name=walk_in, level=1)).to_be_visible()
    expect(page.locator("#client-upcoming li")).to_have_count(1)
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
    desk_errors.assert_none()
    page.context.close()
