"""The calendar's week as a time grid in a real browser (issue 45, items 2 and 8; docs/front-desk.md,
"The week grid"): seven days on one time axis, a column per team member in each day, a member's
off time shaded (and a click on it opens nothing); at 1366x900 and 390x844, light and dark, the
page never scrolls sideways (the grid does, inside its frame) and axe finds nothing serious; each
booking's card sits in its day's column and its member's; and a booking dragged to another day
and time moves there. Screenshots land in docs/screenshots/desk-calendar-week-*.png when
E2E_SCREENSHOTS is set."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible, look_everywhere, seed_venues
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "lantern-meadow-copper-2026"
# Columns that spill out of their day (under the next one): each day's columns must fit in it.
SPILLED = """() => [...document.querySelectorAll(".cal-week-day")].flatMap((day) => {
  const box = day.getBoundingClientRect();
  return [...day.querySelectorAll(".cal-col, .cal-working-col")]
    .filter((col) => col.getBoundingClientRect().right > box.right + 1)
    .map((col) => `${day.dataset.dropDay} ${col.className}`);
})"""
TEAM = ["Tess Stone", "Uma Vale", "Vera Moss", "Wyn Hale", "Xan Reed"]


def grid_checks(page: Page, where: str) -> None:
    """What the week grid must hold at every size and theme (``look_everywhere``)."""
    spilled = page.evaluate(SPILLED)
    assert not spilled, f"{where}: columns past their day: {spilled[:4]}"


def look(page: Page, name: str) -> None:
    look_everywhere(page, name, "#calendar", checks=[grid_checks])


def inside(inner: dict, outer: dict) -> bool:
    return (
        outer["x"] - 1 <= inner["x"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        and outer["y"] - 1 <= inner["y"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1
    )


def test_the_week_grid_reads_well_and_a_drag_moves_a_booking_to_another_day_and_time(
    page: Page, live_server, unique_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    customers = [{"email": unique_email(f"week-{n}"), "name": f"Client {name}"} for n, name in enumerate("ABC")]
    owner = {"email": unique_email("week-owner"), "name": "Otto Owner"}
    seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": customers,
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Week Rooms {tag}",
                    "address": "8 Willow Walk",
                    "city": "London",
                    "postcode": "E2 7AA",
                    "country": "GB",
                    "latitude": 51.52,
                    "longitude": -0.07,
                    "timezone": "Europe/London",
                    "service": "Hot stone massage",
                    "price_minor": 7000,
                    "team": TEAM,
                    "upcoming": [
                        {"customer_email": customers[0]["email"], "days_ahead": 3},
                        {"customer_email": customers[1]["email"], "days_ahead": 3},
                        {"customer_email": customers[2]["email"], "days_ahead": 4},
                    ],
                }
            ],
        },
    )
    booked_day = datetime.now(UTC).date() + timedelta(days=3)
    # The day it moves to: the next one, or the one before when the next starts another week.
    other_day = booked_day + timedelta(days=1) if booked_day.weekday() < 6 else booked_day - timedelta(days=1)
    e2e_sign_in(page, owner["email"], PASSWORD, "Otto")

    # The last member works only 12:00-16:00 on the booked weekday (and no other day): shaded.
    page.goto("/provider/venue/team")
    page.get_by_role("link", name=f"Schedule of {TEAM[-1]}").click()
    page.get_by_label("Works these hours").check()
    weekday = f"{booked_day:%A}"
    page.get_by_label(f"{weekday} opens").fill("12:00")
    page.get_by_label(f"{weekday} closes").fill("16:00")
    page.get_by_role("button", name="Save week").click()
    expect(page.get_by_role("status").filter(has_text=f"{TEAM[-1]}'s week is saved")).to_be_visible()

    page.goto(f"/provider/calendar?view=week&date={booked_day.isoformat()}")
    days = page.locator("section[data-drop-day]")
    expect(days).to_have_count(7)
    expect(page.locator("section[data-drop-day] ol.cal-col[data-drop-member]")).to_have_count(7 * len(TEAM))
    cards = page.locator("li.cal-booking[data-booking-id]")
    expect(cards).to_have_count(3)
    # Each card is inside its day's column and its member's.
    for n in range(3):
        card = cards.nth(n)
        day, member = card.get_attribute("data-date"), card.get_attribute("data-member")
        column = page.locator(f'section[data-drop-day="{day}"] ol.cal-col[data-drop-member="{member}"]')
        expect(column.locator(f'li[data-booking-id="{card.get_attribute("data-booking-id")}"]')).to_have_count(1)
        card.scroll_into_view_if_needed()
        assert inside(card.bounding_box(), column.bounding_box()), f"card {n} is outside its column"

    # The member's off time is shaded, said in words, and a click on it opens nothing.
    vera = page.locator(f'section[data-drop-day="{booked_day.isoformat()}"] ol.cal-col').nth(len(TEAM) - 1)
    expect(vera.locator("li.cal-off")).to_have_count(2)  # 09:00-12:00 and 16:00-18:00
    expect(vera.locator("[data-off-text]")).to_have_text(
        "Outside working hours 09:00–12:00; Outside working hours 16:00–18:00"
    )
    before = page.url
    shade = vera.locator("li.cal-off").first
    shade.scroll_into_view_if_needed()
    shade.click()
    page.wait_for_timeout(500)
    assert page.url == before

    look(page, "calendar-week")

    # A booking dragged to another day, two hours later, in the same member's column.
    card = cards.first
    booking_id, member, start = (
        card.get_attribute("data-booking-id"),
        card.get_attribute("data-member"),
        card.get_attribute("data-time"),
    )
    target = page.locator(f'section[data-drop-day="{other_day.isoformat()}"] ol.cal-col[data-drop-member="{member}"]')
    scroll = page.locator(".cal-scroll")
    times = page.locator(".cal-week-times")
    # Both days in view: the earlier one just right of the hours, which stay at the left edge.
    first_day = min(booked_day, other_day).isoformat()
    left = page.locator(f'section[data-drop-day="{first_day}"]').bounding_box()["x"]
    edge = times.bounding_box()
    scroll.evaluate("(el, by) => { el.scrollLeft += by; }", left - (edge["x"] + edge["width"]))
    card.evaluate("el => el.scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'})")
    box, column = card.bounding_box(), target.bounding_box()
    rows = int(page.locator(f'section[data-drop-day="{other_day.isoformat()}"]').get_attribute("data-rows"))
    row_height = column["height"] / rows
    page.mouse.move(box["x"] + 8, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + 14, steps=3)
    page.mouse.move(column["x"] + 8, box["y"] + 8 + 8 * row_height, steps=10)
    page.mouse.up()
    hour, minute = (int(p) for p in start.split(":"))
    landed = f"{hour + 2:02d}:{minute:02d}"
    moved = target.locator(f'li[data-booking-id="{booking_id}"]')
    expect(moved).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="Moved").last).to_be_visible()
    expect(moved).to_have_attribute("data-date", other_day.isoformat())
    expect(moved).to_have_attribute("data-time", landed)

    # One member's week: seven columns, and it still fits at both sizes.
    page.goto(f"/provider/calendar?view=week&date={booked_day.isoformat()}&member={member}")
    expect(page.locator("ol.cal-col[data-drop-member]")).to_have_count(7)
    look(page, "calendar-week-member")
    browser_errors.assert_none()


def test_a_week_of_a_member_on_the_phone_keeps_the_page_still(page: Page, live_server, unique_email, browser_errors):
    """Without bookings too: the grid is drawn from the venue's hours, and only it scrolls."""
    tag = uuid.uuid4().hex[:6]
    owner = {"email": unique_email("week-empty"), "name": "Pia Owner"}
    seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Quiet Rooms {tag}",
                    "address": "1 Elm Row",
                    "city": "London",
                    "postcode": "E2 7AB",
                    "country": "GB",
                    "latitude": 51.52,
                    "longitude": -0.07,
                    "timezone": "Europe/London",
                    "service": "Facial",
                    "price_minor": 5000,
                    "team": ["Ada Lane"],
                }
            ],
        },
    )
    e2e_sign_in(page, owner["email"], PASSWORD, "Pia")
    page.set_viewport_size({"width": 390, "height": 844})
    today: date = datetime.now(ZoneInfo("Europe/London")).date()
    page.goto(f"/provider/calendar?view=week&date={today.isoformat()}")
    expect(page.locator("section[data-drop-day]")).to_have_count(7)
    expect(page.locator(".cal-today .badge").filter(has_text="Today")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    grid = page.locator(".cal-scroll")
    assert grid.evaluate("el => el.scrollWidth > el.clientWidth")  # the days scroll, inside the frame
    assert_accessible(page, "#calendar")
    browser_errors.assert_none()
