"""On a phone (390x844) the first result is in view at once, the filters wait in a sheet behind
"Filters (n)", and the map is a toggle; a place chosen in the "where" field is offered again
next time until it is cleared."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.test_search_journey import Listing, set_up

PHONE = {"width": 390, "height": 844}


def test_phone_search_shows_results_first_and_filters_in_a_sheet(page: Page, live_server, browser_errors):
    tag = uuid.uuid4().hex[:6]
    maple = Listing(f"Maple Massage {tag}", "massage", [("Swedish massage", 4000)], 51.5155, -0.1410, (120, 160, 140))
    aspen = Listing(f"Aspen Nails {tag}", "nails", [("Gel manicure", 3000)], 51.5100, -0.1300, (200, 170, 200))
    set_up(live_server, [maple, aspen])
    page.set_viewport_size(PHONE)

    page.goto(f"/search?q={tag}")
    first_card = page.locator("[data-venue-card]").first
    expect(first_card).to_be_visible()
    box = first_card.bounding_box()
    assert box is not None and box["y"] < PHONE["height"], f"the first result starts at {box}"

    # The filters are hidden until "Filters" is pressed.
    sheet = page.locator("#search-filters")
    expect(sheet).to_be_hidden()
    expect(page.get_by_label("Open now")).to_be_hidden()
    opener = page.get_by_role("button", name=re.compile(r"^Filters \(0\)"))
    opener.click()
    dialog = page.get_by_role("dialog", name="Filters")
    expect(dialog).to_be_visible()
    expect(page.get_by_label("Open now")).to_be_focused()  # focus moved into the sheet

    # A filter chosen in the sheet applies at once; the sheet stays open with fresh counts.
    dialog.get_by_role("link", name=re.compile(r"^Massage")).click()
    expect(page).to_have_url(re.compile(rf"q={tag}&category=massage"))
    expect(page.get_by_role("dialog", name="Filters")).to_be_visible()
    expect(page.get_by_role("dialog", name="Filters").get_by_role("button", name="Show 1 venue")).to_be_visible()

    # Escape closes it and gives the focus back to the button, which now counts the filter.
    page.keyboard.press("Escape")
    expect(page.locator("#search-filters")).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile(r"^Filters \(1\)"))).to_be_focused()
    expect(page.locator("[data-venue-card]")).to_have_count(1)

    # The map is a toggle, and so is the list.
    page.get_by_role("link", name="Map", exact=True).click()
    expect(page.locator("[data-search-map]")).to_be_visible()
    page.get_by_role("link", name="List", exact=True).click()
    expect(page.locator("[data-search-map]")).to_have_count(0)
    browser_errors.assert_none()


def test_on_a_desktop_the_filters_stay_in_their_column(page: Page, live_server, browser_errors):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/search")
    expect(page.get_by_label("Open now")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Filters \("))).to_be_hidden()
    browser_errors.assert_none()


def test_the_where_field_suggests_places_and_remembers_the_last_one(page: Page, live_server, browser_errors):
    page.set_viewport_size(PHONE)
    page.goto("/search")
    where = page.get_by_role("combobox", name="Where")
    where.press_sequentially("Richm")
    listbox = page.get_by_role("listbox", name="Places")
    expect(listbox).to_be_visible()
    expect(where).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options.first).to_contain_text("Richmond, near London, England")
    expect(options.nth(1)).to_contain_text("Richmond, near Darlington, England")
    expect(page.locator("[data-place-status]")).to_contain_text("found")  # announced to screen readers

    where.press("ArrowDown")
    where.press("ArrowDown")
    expect(where).to_have_attribute("aria-activedescendant", re.compile(r"^place-suggestion-\d+$"))
    where.press("Escape")
    expect(listbox).to_be_hidden()
    expect(where).to_have_attribute("aria-expanded", "false")

    where.press_sequentially("o")
    expect(options.first).to_contain_text("Richmond, near London, England")
    where.press("ArrowDown")
    where.press("Enter")
    expect(page).to_have_url(re.compile(r"near=Richmond%2C\+near\+London%2C\+England&place=\d+"))
    expect(page.get_by_role("list", name="Filters in use")).to_contain_text("Within 25 km of Richmond, near London")

    # Next time the field offers it again, until it is cleared.
    page.goto("/search")
    expect(where).to_have_value("Richmond, near London, England")
    page.get_by_role("button", name="Clear the place").click()
    expect(where).to_have_value("")
    expect(where).to_be_focused()
    page.reload()
    expect(page.get_by_role("combobox", name="Where")).to_have_value("")
    browser_errors.assert_none()
