"""On a phone (390x844) the next step is in the first screen: once a time is picked "Add to cart"
sits in a bar at the bottom (and still posts its form without JavaScript), the Demo gateway's
"Pay" button is in view on load, and the provider's calendar opens on one day with its buttons in
one row each, the filters folded behind "Filters" and the grid's columns scrolling sideways
inside it. On a desktop the booking form and the calendar keep their wide layout."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from e2e.conftest import seed_venues
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "thistle-lagoon-copper-2026"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEZONE = "Europe/London"
DAYS_AHEAD = 4
HOUR = 11
SAME_ROW = 3  # px: buttons in one row share their top edge within this


def set_up(live_server, customers: list[dict]) -> dict:
    """An approved London venue (09:00-18:00 daily, a 60-minute £55.00 service, three therapists)."""
    tag = uuid.uuid4().hex[:6]
    venue = {
        "owner_email": f"owner-{tag}@example.com",
        "owner_name": "Iris Owner",
        "name": f"Thistle Spa {tag}",
        "address": "8 Elm Street",
        "city": "London",
        "postcode": "SW1A 1AA",
        "country": "GB",
        "latitude": 51.5072,
        "longitude": -0.1276,
        "timezone": TIMEZONE,
        "service": "Hot stone massage",
        "price_minor": 5500,
        "team": ["Amara Okafor", "Ben Carter", "Cleo Park"],
    }
    made = seed_venues(live_server, {"password": PASSWORD, "customers": customers, "venues": [venue]})[0]
    return {**venue, **made}


def box(locator: Locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} has no box (hidden?)"
    return found


def assert_in_viewport(locator: Locator, viewport: dict) -> None:
    b = box(locator)
    assert b["x"] >= 0 and b["y"] >= 0, f"{locator} starts outside the screen: {b}"
    assert b["x"] + b["width"] <= viewport["width"] + 0.5, f"{locator} ends right of the screen: {b}"
    assert b["y"] + b["height"] <= viewport["height"] + 0.5, f"{locator} ends below the screen: {b}"


def assert_one_row(locators: list[Locator]) -> None:
    tops = [box(locator)["y"] for locator in locators]
    assert max(tops) - min(tops) <= SAME_ROW, f"not in one row: tops {tops}"


def pick_a_time(page: Page, venue: dict) -> None:
    """From the venue's booking page: the day DAYS_AHEAD ahead, then HOUR:00."""
    day = datetime.now(ZoneInfo(TIMEZONE)).date() + timedelta(days=DAYS_AHEAD)
    page.goto(f"/venues/{venue['slug']}/book/{venue['service_id']}")
    calendar = page.locator("#booking-calendar")
    if day.month != datetime.now(ZoneInfo(TIMEZONE)).month:
        calendar.get_by_role("link", name="Next month").click()
    day_name = f"{day:%A} {day.day} {day:%B %Y}"
    calendar.get_by_role("link", name=re.compile(rf"^{day_name}, \d+ times? free$")).click()
    expect(page.get_by_role("heading", name=f"Times on {day_name}")).to_be_visible()
    page.get_by_role("list", name="Free times").get_by_role("link", name=re.compile(rf"^{HOUR:02d}:00 ?,")).click()
    expect(page.locator("#slot-details form")).to_be_visible()


def test_on_a_phone_add_to_cart_and_pay_are_in_the_first_screen(page: Page, live_server, unique_email, browser_errors):
    customer = {"email": unique_email("phone"), "name": "Nadia Brook"}
    venue = set_up(live_server, [customer])
    page.set_viewport_size(PHONE)
    e2e_sign_in(page, customer["email"], PASSWORD, "Nadia")

    # -- 1. No time picked yet: no bar. A time picked: the bar with the choice and the button. --------
    page.goto(f"/venues/{venue['slug']}/book/{venue['service_id']}")
    expect(page.locator("[data-booking-bar]")).to_have_count(0)
    pick_a_time(page, venue)
    bar = page.locator("[data-booking-bar]")
    add = page.locator("form[data-add-to-cart]").get_by_role("button", name="Add to cart")
    expect(add).to_be_visible()
    assert_in_viewport(add, PHONE)
    assert_in_viewport(bar, PHONE)
    expect(bar).to_contain_text("Hot stone massage")
    expect(bar).to_contain_text("£55.00")
    expect(bar).to_contain_text(re.compile(rf"{HOUR:02d}:00–{HOUR + 1:02d}:00"))
    # A field that takes the focus is scrolled clear of the bar (scroll-padding), not under it.
    people = page.get_by_label("People")
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    people.focus()
    page.wait_for_function(  # Bootstrap scrolls smoothly
        "() => document.getElementById('quantity').getBoundingClientRect().bottom"
        " <= document.querySelector('[data-booking-bar]').getBoundingClientRect().top"
    )

    # -- 2. Added: the bar goes with the form. -------------------------------------------------------
    add.click()
    expect(page.locator("#slot-details").get_by_role("status")).to_contain_text("Added Hot stone massage to your cart.")
    expect(page.locator("[data-booking-bar]")).to_have_count(0)

    # -- 3. The Demo gateway's page: "Pay" in the first screen, the summary below it. -----------------
    page.goto("/cart")
    page.get_by_role("complementary").get_by_role("button", name="Check out").click()
    page.get_by_role("button", name="Pay £55.00 securely").click()
    expect(page.get_by_role("heading", name="Pay £55.00", level=1)).to_be_visible()
    pay = page.get_by_role("button", name="Pay £55.00", exact=True)
    assert_in_viewport(pay, PHONE)
    assert box(pay)["y"] + box(pay)["height"] <= PHONE["height"]
    summary = page.get_by_role("region", name="Order summary")
    expect(summary).to_contain_text("Hot stone massage")
    assert box(summary)["y"] > box(pay)["y"], "the order summary comes after the card form on a phone"
    browser_errors.assert_none()


def test_without_javascript_the_bar_is_still_the_forms_button(new_context, live_server, unique_email):
    venue = set_up(live_server, [])
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    pick_a_time(page, venue)  # plain links: each step is a page of its own
    add = page.locator("form[data-add-to-cart]").get_by_role("button", name="Add to cart")
    assert_in_viewport(add, PHONE)
    add.click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.locator("#cart")).to_contain_text("Hot stone massage")


def test_on_a_phone_the_calendar_opens_on_one_day_with_the_grid_in_view(page: Page, live_server, browser_errors):
    venue = set_up(live_server, [])
    page.set_viewport_size(PHONE)
    e2e_sign_in(page, venue["owner_email"], PASSWORD, "Iris")
    page.goto("/provider/calendar")

    # -- 1. One day; the header's buttons in one row, the toolbar's in another. -----------------------
    expect(page.get_by_role("link", name="Day", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name=re.compile(r"^\w+day \d+ \w+ \d{4}$"), level=2)).to_be_visible()
    main = page.get_by_role("main")
    names = ("Check in", "Rescheduling policy", "Dashboard")
    header = [main.get_by_role("link", name=name, exact=True) for name in names]
    for link in header:
        expect(link).to_be_visible()
    expect(header[1]).to_have_attribute("title", "Rescheduling policy")  # an icon on a phone: a tooltip too
    assert_one_row(header)
    filters_button = page.get_by_role("button", name="Filters")
    toolbar = [
        page.get_by_role("link", name="Previous day"),
        page.get_by_role("link", name="Today", exact=True),
        page.get_by_role("link", name="Next day"),
        page.get_by_role("link", name="Day", exact=True),
        page.get_by_role("link", name="Week", exact=True),
        filters_button,
    ]
    assert_one_row(toolbar)
    for control in (*header, *toolbar):
        assert_in_viewport(control, PHONE)

    # -- 2. The grid starts in the first screen; its columns scroll sideways inside it. ---------------
    grid = page.get_by_role("region", name=re.compile(r"^Bookings on "))
    expect(page.locator("#cal-filters")).to_be_hidden()
    assert box(grid)["y"] < PHONE["height"]
    assert box(page.get_by_role("heading", name="Amara Okafor", level=3))["y"] < PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page itself scrolls sideways"
    unassigned = grid.get_by_role("heading", name="Unassigned", level=3)
    grid.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    assert_in_viewport(unassigned, PHONE)
    # The keyboard way: the grid takes the focus and scrolls with the arrow keys.
    grid.evaluate("el => { el.scrollLeft = 0; }")
    grid.focus()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    # (the scroll may be smooth: wait for it to move, rather than read it at once)
    page.wait_for_function("el => el.scrollLeft > 0", arg=grid.element_handle(), timeout=5000)

    # -- 3. "Filters" opens them; a filter applies and they stay open; Escape folds them. -------------
    expect(filters_button).to_have_attribute("aria-expanded", "false")
    filters_button.click()
    expect(filters_button).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#cal-filters").get_by_label("Date")).to_be_focused()
    member = page.locator("#cal-filters").get_by_label("Team member")
    member.focus()
    member.select_option(label="Ben Carter")
    expect(page).to_have_url(re.compile(r"member=\d+"))
    expect(grid.get_by_role("heading", level=3)).to_have_text(["Ben Carter"])
    toggle = page.get_by_role("button", name=re.compile(r"^Filters \(1\)"))
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(member).to_be_focused()  # the swap gave the focus back to the field
    page.keyboard.press("Escape")
    expect(page.locator("#cal-filters")).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    browser_errors.assert_none()


def test_on_a_desktop_the_booking_form_and_the_calendar_keep_their_layout(page: Page, live_server, browser_errors):
    venue = set_up(live_server, [])
    page.set_viewport_size(DESKTOP)
    pick_a_time(page, venue)
    add = page.locator("form[data-add-to-cart]").get_by_role("button", name="Add to cart")
    people = page.get_by_label("People")
    assert box(add)["y"] > box(people)["y"], "the button is the form's last row"
    assert abs(box(add)["x"] - box(page.get_by_label("Team member"))["x"]) <= 1, "the button lines up with the form"
    expect(page.locator("[data-booking-bar]").get_by_text("Hot stone massage")).to_be_hidden()

    e2e_sign_in(page, venue["owner_email"], PASSWORD, "Iris")
    page.goto("/provider/calendar")
    expect(page.get_by_role("button", name="Filters")).to_be_hidden()
    expect(page.locator("#cal-filters").get_by_label("Team member")).to_be_visible()
    expect(page.get_by_role("main").get_by_text("Rescheduling policy", exact=True)).to_be_visible()
    grid = page.get_by_role("region", name=re.compile(r"^Bookings on "))
    assert_in_viewport(grid.get_by_role("heading", name="Unassigned", level=3), DESKTOP)
    browser_errors.assert_none()
