"""A venue owner gives a therapist her own week and a day off; the calendar's week shows who
works when, and a customer is offered only the times the therapist works."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "juniper-kettle-harbour-2026"
TZ = "Europe/London"


def test_owner_sets_a_week_and_time_off_and_the_calendar_and_booking_page_follow(
    page: Page, live_server, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    owner_email = f"owner-{tag}@example.com"
    venue = {
        "owner_email": owner_email,
        "owner_name": "Grace Hopper",
        "name": f"Juniper Rooms {tag}",
        "address": "3 Elm Street",
        "city": "London",
        "postcode": "SW1A 1AA",
        "country": "GB",
        "latitude": 51.5072,
        "longitude": -0.1276,
        "timezone": TZ,
        "service": "Hot stone massage",
        "price_minor": 7000,
        "team": ["Amara Okafor"],
    }
    made = seed_venues(live_server, {"password": PASSWORD, "customers": [], "venues": [venue]})[0]
    today = datetime.now(ZoneInfo(TZ)).date()
    day = today + timedelta(days=3)
    if day.weekday() == 6:  # a Sunday: its next day starts another week, which the week view leaves out
        day += timedelta(days=1)
    off_day = day + timedelta(days=1)

    # -- 1. Grace opens Amara's schedule from the team page. --------------------------------------
    e2e_sign_in(page, owner_email, PASSWORD, "Grace")
    page.goto("/provider/venue/team")
    page.get_by_role("link", name="Schedule of Amara Okafor").click()
    expect(page.get_by_role("heading", name="Amara Okafor's schedule", level=2)).to_be_visible()
    expect(page.get_by_label("Works the venue's opening hours")).to_be_checked()

    # -- 2. She works 12:00-16:00 on that weekday (the grid starts from the venue's hours). ---------
    page.get_by_label("Works these hours").check()
    name = f"{day:%A}"
    page.get_by_label(f"{name} opens").fill("12:00")
    page.get_by_label(f"{name} closes").fill("16:00")
    page.get_by_role("button", name="Save week").click()
    expect(page.get_by_role("status").filter(has_text="Amara Okafor's week is saved")).to_be_visible()
    expect(page.get_by_label(f"{name} opens")).to_have_value("12:00")

    # -- 3. The next day off, as a holiday. ----------------------------------------------------------
    time_off = page.get_by_role("region", name="Time off")
    page.get_by_label("First day").fill(off_day.isoformat())
    page.get_by_label("Reason (only you see it)").fill("Family wedding")
    page.get_by_role("button", name="Add time off").click()
    expect(page.get_by_role("status").filter(has_text="Time off for Amara Okafor is added")).to_be_visible()
    expect(time_off).to_contain_text("Family wedding")

    # -- 4. The calendar's week shows who works when. ---------------------------------------------
    page.goto(f"/provider/calendar?view=week&date={day.isoformat()}")
    heading = format_date(day, "EEE d MMM", locale="en_GB")
    expect(
        page.get_by_role("region", name=re.compile(rf"^{heading}")).get_by_role("list", name="Who works")
    ).to_contain_text("Amara Okafor 12:00–16:00")
    off_heading = format_date(off_day, "EEE d MMM", locale="en_GB")
    expect(
        page.get_by_role("region", name=re.compile(rf"^{off_heading}")).get_by_role("list", name="Who works")
    ).to_contain_text("Amara Okafor Off")

    # -- 5. A visitor is offered only Amara's hours that day, and nothing on her day off. ------------
    page.goto(f"/venues/{made['slug']}/book/{made['service_id']}?day={day.isoformat()}")
    free = page.get_by_role("list", name="Free times").get_by_role("link")
    expect(free.first).to_be_visible()
    times = [text.strip()[:5] for text in free.all_inner_texts()]
    assert times and all("12:00" <= t <= "15:00" for t in times), times
    page.goto(f"/venues/{made['slug']}/book/{made['service_id']}?day={off_day.isoformat()}")
    expect(page.get_by_role("list", name="Free times")).to_have_count(0)
    browser_errors.assert_none()
