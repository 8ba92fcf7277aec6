"""A customer moves her booking to another day from its page; the venue then moves it again
with the keyboard "Move" dialog and by dragging it to another team member's column. Each move
says so in a toast, and the customer is emailed the new time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues, watch
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "harbour-willow-amber-2026"


def test_customer_reschedules_then_the_venue_moves_it_by_dialog_and_drag(
    page: Page, new_context, live_server, unique_email, read_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("mover"), "name": "Mara Mover"}
    owner = {"email": unique_email("moves-owner"), "name": "Otto Owner"}
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Willow Rooms {tag}",
                    "address": "8 Willow Walk",
                    "city": "London",
                    "postcode": "E2 7AA",
                    "country": "GB",
                    "latitude": 51.52,
                    "longitude": -0.07,
                    "timezone": "Europe/London",
                    "service": "Hot stone massage",
                    "price_minor": 7000,
                    "team": ["Tess Stone", "Uma Vale"],
                    "upcoming": [{"customer_email": customer["email"], "days_ahead": 3}],
                }
            ],
        },
    )
    (reference,) = venue["upcoming"]
    booked_day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    new_day = (datetime.now(UTC) + timedelta(days=4)).date().isoformat()

    # The customer finds "Reschedule" on her booking, picks another day and its first time.
    e2e_sign_in(page, customer["email"], PASSWORD, "Mara")
    page.goto(f"/bookings/{reference}")
    expect(page.get_by_text("You can move this booking until")).to_be_visible()
    page.get_by_role("link", name="Reschedule").click()
    expect(page.get_by_role("heading", level=1, name="Move your booking")).to_be_visible()
    if new_day[:7] != booked_day[:7]:  # the picker opens on the booking's month: the new day is in the next
        page.locator("#reschedule-picker").get_by_role("link", name="Next month").click()
    page.locator(f'#reschedule-picker a[data-day="{new_day}"]').click()
    times = page.get_by_role("list", name="Free times")
    expect(times.get_by_role("link").first).to_have_text("09:00")
    times.get_by_role("link", name="09:00").click()
    page.get_by_role("button", name="Move my booking").click()
    expect(page.get_by_role("status").filter(has_text="Moved to")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/bookings/{reference}")
    expect(page.locator("dd").filter(has_text="09:00")).to_be_visible()
    email = read_email(customer["email"], subject_contains="Moved:")
    assert "09:00" in email.text and reference in email.text

    # The venue moves it with the keyboard: the booking's "Move" button opens a dialog.
    provider = new_context().new_page()
    errors = watch(provider)
    e2e_sign_in(provider, owner["email"], PASSWORD, "Otto")
    provider.goto(f"/provider/calendar?view=day&date={new_day}")
    booking = provider.locator("[data-movable]")
    expect(booking).to_have_count(1)
    provider.get_by_role("link", name="Move Hot stone massage").focus()
    provider.keyboard.press("Enter")
    dialog = provider.get_by_role("dialog", name="Move Hot stone massage, Mara Mover")
    expect(dialog).to_be_visible()
    dialog.get_by_label("New time").fill("11:00")
    dialog.get_by_role("button", name="Move booking").press("Enter")
    expect(provider.get_by_role("status").filter(has_text=f"Moved {reference}")).to_be_visible()
    expect(provider.locator("[data-movable]")).to_have_attribute("data-time", "11:00")
    read_email(customer["email"], subject_contains="Moved by the venue")

    # And by dragging it into the other therapist's column, at the same time.
    member = provider.locator("[data-movable]").get_attribute("data-member")
    target = provider.locator(f'[data-drop-member]:not([data-drop-member="{member}"]):not([data-drop-member=""])')
    block = provider.locator("[data-movable]").bounding_box()
    column = target.bounding_box()
    provider.mouse.move(block["x"] + 20, block["y"] + 10)
    provider.mouse.down()
    provider.mouse.move(block["x"] + 40, block["y"] + 10, steps=3)
    provider.mouse.move(column["x"] + 20, block["y"] + 10, steps=8)
    provider.mouse.up()
    moved = target.locator("[data-movable]")
    expect(moved).to_have_count(1)
    expect(provider.get_by_role("status").filter(has_text=f"Moved {reference}").last).to_be_visible()
    expect(moved).to_have_attribute("data-time", "11:00")
    assert not errors.messages, errors.messages
