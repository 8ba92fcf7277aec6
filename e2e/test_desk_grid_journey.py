"""A walk-in booked from the calendar grid (issue 45, item 1): the receptionist clicks a free
time in a team member's column, the desk's form opens with the day, the person, their only
service and that time filled in, she types the client's name and phone, books, and is back on
the calendar's day with the booking drawn. The journey counts the clicks: at most 5."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "meadow-copper-lantern-2026"
TZ = "Europe/London"


def test_a_walk_in_from_a_free_time_on_the_grid_takes_few_clicks(page: Page, live_server, browser_errors):
    tag = uuid.uuid4().hex[:6]
    owner_email = f"grid-owner-{tag}@example.com"
    seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [],
            "venues": [
                {
                    "owner_email": owner_email,
                    "owner_name": "Gina Grid",
                    "name": f"Grid Rooms {tag}",
                    "address": "5 Oak Street",
                    "city": "London",
                    "postcode": "SW1A 1AA",
                    "country": "GB",
                    "latitude": 51.5072,
                    "longitude": -0.1276,
                    "timezone": TZ,
                    "service": "Hot stone massage",
                    "price_minor": 7000,
                    "team": ["Tess Stone"],
                }
            ],
        },
    )
    day = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=3)
    e2e_sign_in(page, owner_email, PASSWORD, "Gina")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/provider/calendar?view=day&date={day.isoformat()}")
    clicks = 0

    # 1: a free time in Tess's column, a little after 14:00 (the row's top half).
    column = page.locator(".cal-col[data-drop-member]:not([data-drop-member=''])").first
    grid = page.locator(".cal-day")
    first_minute = int(grid.get_attribute("data-first-minute"))
    rows = int(grid.get_attribute("data-rows"))
    box = column.bounding_box()
    row = (14 * 60 - first_minute) // 15
    column.click(position={"x": box["width"] / 2, "y": (row + 0.3) * box["height"] / rows})
    clicks += 1
    expect(page.get_by_role("heading", name="New booking at the desk")).to_be_visible()
    expect(page.get_by_label("Service").locator("option:checked")).to_have_text(re.compile("Hot stone massage"))
    expect(page.locator("select#desk-time option:checked")).to_have_text("14:00")

    # 2, 3: the client's name and phone (typing, after a click into each field).
    page.get_by_label("Name", exact=True).click()
    clicks += 1
    page.keyboard.type(f"Wanda Walkin {tag}")
    page.get_by_label("Phone (optional)").click()
    clicks += 1
    page.keyboard.type("+44 7700 900111")

    # 4: Book; back on the calendar's day with the booking drawn.
    page.get_by_role("button", name="Book", exact=True).click()
    clicks += 1
    expect(page.get_by_role("status").filter(has_text=f"Wanda Walkin {tag}")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/provider/calendar\?view=day&date={day.isoformat()}$"))
    expect(page.locator(".cal-booking").filter(has_text=f"Wanda Walkin {tag}")).to_have_count(1)
    assert clicks <= 5
    browser_errors.assert_none()
