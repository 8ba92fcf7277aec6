"""Processing time (issue 44, item 3): a colour client's processing gap is booked by another
client with the same stylist, and the owner's calendar shows both, and the gap."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues
from e2e.conftest import sign_in as e2e_sign_in
from e2e.test_booking_journey import pay

PASSWORD = "meadow-copper-lantern-2026"
LONDON = ZoneInfo("Europe/London")


def book(page: Page, slug: str, service_id: int, day, hhmm: str, stylist: str, *, not_offered=()) -> None:
    """On the booking page of a service: the day, the time ``hhmm`` with ``stylist``, Add to cart,
    Check out and pay with the Demo gateway's test card. ``not_offered``: times that must be missing."""
    page.goto(f"/venues/{slug}/book/{service_id}?day={day.isoformat()}")
    times = page.get_by_role("list", name="Free times")
    expect(times.get_by_role("link", name=re.compile(rf"^{hhmm} ?,"))).to_be_visible()
    for missing in not_offered:
        expect(times.get_by_role("link", name=re.compile(rf"^{missing} ?,"))).to_have_count(0)
    times.get_by_role("link", name=re.compile(rf"^{hhmm} ?,")).click()
    details = page.locator("#slot-details")
    details.get_by_label("Team member").select_option(label=stylist)
    details.get_by_role("button", name="Add to cart").click()
    expect(details.get_by_role("status")).to_contain_text("to your cart")
    page.goto("/cart")
    page.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    total = page.get_by_role("button", name=re.compile(r"^Pay £[\d.]+ securely$")).inner_text()
    pay(page, total=total.removeprefix("Pay ").removesuffix(" securely"))
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()


def test_a_colour_clients_processing_gap_is_booked_by_another_client_with_the_same_stylist(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    ana, ben, owner = unique_email("ana"), unique_email("ben"), unique_email("strand")
    [salon] = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [{"email": ana, "name": "Ana Costa"}, {"email": ben, "name": "Ben Okoro"}],
            "venues": [
                {
                    "owner_email": owner,
                    "owner_name": "Rosa Strand",
                    "name": f"Strand Hair {tag}",
                    "address": "4 Mill Lane",
                    "city": "London",
                    "postcode": "N1 7AA",
                    "country": "GB",
                    "latitude": 51.536,
                    "longitude": -0.103,
                    "timezone": "Europe/London",
                    "service": "Full colour",
                    "price_minor": 9000,
                    "processing": {"duration_minutes": 75, "after_minutes": 30, "minutes": 30},
                    "also": [{"name": "Blow-dry", "duration_minutes": 30, "price_minor": 3000}],
                    "team": ["Sam Rivera"],
                }
            ],
        },
    )
    day = datetime.now(LONDON).date() + timedelta(days=5)
    [blow_dry_id] = salon["also_ids"]

    # Ana books a colour at 10:00 with Sam: 10:00-10:30 applying, 10:30-11:00 processing, then 15 minutes.
    e2e_sign_in(page, ana, PASSWORD, "Ana")
    book(page, salon["slug"], salon["service_id"], day, "10:00", "Sam Rivera")
    browser_errors.assert_none()

    # Ben's blow-dry is offered with Sam in the gap (10:30), not over the working parts.
    ben_page = new_context().new_page()
    e2e_sign_in(ben_page, ben, PASSWORD, "Ben")
    book(ben_page, salon["slug"], blow_dry_id, day, "10:30", "Sam Rivera", not_offered=("10:00", "10:15", "10:45"))

    # Rosa's calendar: both bookings with Sam, the colour's gap named.
    rosa = new_context().new_page()
    e2e_sign_in(rosa, owner, PASSWORD, "Rosa")
    rosa.goto(f"/provider/calendar?view=day&date={day.isoformat()}")
    calendar = rosa.locator("#calendar")
    expect(calendar).to_contain_text("Full colour")
    expect(calendar).to_contain_text("Blow-dry")
    expect(calendar.locator("[data-processing]")).to_contain_text("Processing 10:30–11:00")
    expect(calendar).to_contain_text("Ana Costa")
    expect(calendar).to_contain_text("Ben Okoro")
