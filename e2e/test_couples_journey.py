"""A couple's visit (issue 44, item 10): two guests each book a 90-minute couples massage with hot
stones, then a facial, side by side, and pay once; the owner sees both therapists and the double
room taken on the calendar; the same time is no longer offered. Then Ana moves the whole visit to
the next day from one treatment's page (issue 44, item 5), and the calendar follows."""

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


def test_a_couple_books_massages_side_by_side_then_facials_and_pays_once(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    ana, owner = unique_email("ana"), unique_email("lotus")
    [spa] = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [{"email": ana, "name": "Ana Costa"}],
            "venues": [
                {
                    "owner_email": owner,
                    "owner_name": "Lena Lotus",
                    "name": f"Lotus Spa {tag}",
                    "address": "9 Canal Walk",
                    "city": "London",
                    "postcode": "N1 8AB",
                    "country": "GB",
                    "latitude": 51.535,
                    "longitude": -0.09,
                    "timezone": "Europe/London",
                    "service": "Back massage",
                    "price_minor": 5000,
                    "team": ["Amy Reid", "Ben Hart", "Cat Moss"],
                    "couples": True,
                }
            ],
        },
    )
    menu = spa["couples"]
    day = datetime.now(LONDON).date() + timedelta(days=6)
    massage = f"{menu['couples_id']}:{menu['long_option_id']}"
    visit = (
        f"/venues/{spa['slug']}/visit?guests=2&t={massage}&t={menu['facial_id']}"
        f"&g2t={massage}&g2t={menu['facial_id']}&day={day.isoformat()}"
    )

    # Ana opens the visit page for two guests and ticks hot stones for both massages.
    e2e_sign_in(page, ana, PASSWORD, "Ana")
    page.goto(visit)
    expect(page.get_by_role("heading", name="Book a visit")).to_be_visible()
    guest_one, guest_two = page.locator("fieldset[data-guest='1']"), page.locator("fieldset[data-guest='2']")
    guest_one.get_by_label("Name (optional)").fill("Ana")
    guest_two.get_by_label("Name (optional)").fill("Ben")
    guest_one.get_by_role("checkbox", name=re.compile("Hot stones")).check()
    guest_two.get_by_role("checkbox", name=re.compile("Hot stones")).check()
    page.get_by_role("button", name="Show days and times").click()
    expect(page.locator("[data-visit-total]")).to_contain_text("£290.00")  # 2 x (£80 + £15) + 2 x £50
    # The month calendar marks the days the whole visit fits; Ana picks hers.
    calendar = page.locator("#visit-picker")
    if day.month != datetime.now(LONDON).month:
        calendar.get_by_role("link", name="Next month").click()
    calendar.locator(f"a[data-day='{day.isoformat()}']").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Times on"))).to_be_visible()
    times = page.get_by_role("list", name="Start times")
    ten = times.get_by_role("listitem").filter(has=page.get_by_role("button", name=re.compile(r"^10:00")))
    expect(ten.locator("[data-guest-plan]")).to_have_count(2)
    expect(ten).to_contain_text("Ana: 10:00 Couples massage")
    expect(ten).to_contain_text("Hot stones")
    expect(ten).to_contain_text("11:45 Facial")
    browser_errors.assert_none()
    ten.get_by_role("button", name=re.compile(r"^10:00")).click()

    # One cart, one checkout, one payment for all four treatments.
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    page.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    pay(page, total="£290.00")
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(page.get_by_role("region", name="Your bookings").get_by_role("listitem")).to_have_count(4)
    first_reference = page.get_by_role("region", name="Your bookings").get_by_role("link").first.inner_text()

    # The same time is no longer offered to a couple.
    page.goto(visit)
    expect(
        page.get_by_role("list", name="Start times").get_by_role("button", name=re.compile(r"^10:00"))
    ).to_have_count(0)

    # Lena's calendar: both therapists' massages hold the double room, each guest named.
    lena = new_context().new_page()
    e2e_sign_in(lena, owner, PASSWORD, "Lena")
    lena.goto(f"/provider/calendar?view=day&date={day.isoformat()}")
    calendar = lena.locator("#calendar")
    massages = calendar.locator(".cal-event").filter(has_text="Couples massage")
    expect(massages).to_have_count(2)
    expect(massages.locator("[data-rooms]")).to_have_text([re.compile("Double room")] * 2)
    expect(calendar).to_contain_text("Ben (guest of Ana Costa)")
    expect(calendar.locator(".cal-event").filter(has_text="Facial")).to_have_count(2)

    # Ana moves the visit a day later from her massage's page: the page offers the times the
    # whole visit fits, and every treatment, both guests', moves with it.
    later = day + timedelta(days=1)
    page.goto(f"/bookings/{first_reference}")
    page.get_by_role("link", name="Reschedule").click()
    expect(page.get_by_role("heading", level=1, name="Move your booking")).to_be_visible()
    picker = page.locator("#reschedule-picker")
    if later.month != day.month:
        picker.get_by_role("link", name="Next month").click()
    picker.locator(f'a[data-day="{later.isoformat()}"]').click()
    page.get_by_role("list", name="Free times").get_by_role("link", name="10:00").click()
    expect(page.locator("[data-visit-move-note]")).to_contain_text("Your whole visit moves")
    browser_errors.assert_none()
    page.get_by_role("button", name="Move my visit").click()
    expect(page.get_by_role("status").filter(has_text="Moved to")).to_be_visible()
    lena.goto(f"/provider/calendar?view=day&date={later.isoformat()}")
    moved = lena.locator("#calendar")
    expect(moved.locator(".cal-event").filter(has_text="Couples massage")).to_have_count(2)
    expect(moved.locator(".cal-event").filter(has_text="Facial")).to_have_count(2)
    lena.goto(f"/provider/calendar?view=day&date={day.isoformat()}")
    expect(lena.locator("#calendar .cal-event").filter(has_text="Couples massage")).to_have_count(0)
    browser_errors.assert_none()
