"""On a phone (390x844) the first result is in view at once, the filters wait in a sheet behind
"Filters (n)", and the map is a toggle; a place chosen in the "where" field is offered again
next time until it is cleared. The home page shows its whole search box and a venue card on the
first screen (docs/search.md, "The search page on a phone")."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.test_search_journey import Listing, set_up

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def assert_on_first_screen(locator, what: str) -> None:
    box = locator.bounding_box()
    assert box is not None, f"{what} is not drawn"
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], f"{what} is at {box}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{what} is at {box}"


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


def test_on_a_phone_the_first_result_shows_its_name_price_and_rating_at_once(page: Page, live_server, browser_errors):
    tag = uuid.uuid4().hex[:6]
    rowan = Listing(
        f"Rowan Massage House {tag}", "massage", [("Deep tissue massage", 4500)], 51.52, -0.13, (90, 140, 160)
    )
    set_up(live_server, [rowan])
    page.set_viewport_size(PHONE)
    page.goto(f"/search?q=massage+{tag}")
    card = page.locator("[data-venue-card]").first
    expect(card.get_by_role("link", name=rowan.name)).to_be_visible()
    assert_on_first_screen(card.get_by_role("link", name=rowan.name), "the first venue's name")
    assert_on_first_screen(card.get_by_text("from £45"), "its price")
    assert_on_first_screen(card.get_by_text("No reviews yet"), "its rating")

    # The free time and the other filters wait behind "Filters"; the search box stays.
    expect(page.get_by_role("combobox", name="Treatment, venue or place")).to_be_visible()
    expect(page.get_by_label("Day")).to_be_hidden()
    expect(page.get_by_label("Open now")).to_be_hidden()
    page.get_by_role("button", name=re.compile(r"^Filters \(")).click()
    dialog = page.get_by_role("dialog", name="Filters")
    expect(dialog.get_by_role("group", name="Free on (UK time)")).to_be_visible()
    expect(dialog.get_by_label("Day")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    browser_errors.assert_none()


def test_on_a_phone_the_home_page_shows_the_search_box_and_a_venue(page: Page, live_server, browser_errors):
    tag = uuid.uuid4().hex[:6]
    set_up(live_server, [Listing(f"Hazel Spa {tag}", "spa", [("Spa day", 9000)], 51.50, -0.12, (150, 120, 90))])
    page.set_viewport_size(PHONE)
    page.goto("/")
    search = page.get_by_role("search", name="Venues")
    box = search.get_by_role("combobox")
    assert_on_first_screen(box, "the search box")
    assert_on_first_screen(search.get_by_role("button", name="Search"), "the search button")
    # The whole placeholder fits in the box: its text is no wider than the box's inside.
    room, needed = box.evaluate(
        """(input) => {
          const style = getComputedStyle(input);
          const context = document.createElement("canvas").getContext("2d");
          context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const inside = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
          return [inside, context.measureText(input.placeholder).width];
        }"""
    )
    assert needed <= room, f"the placeholder needs {needed:.0f}px and has {room:.0f}px"
    card = page.locator("[data-venue-card]").first
    expect(card).to_be_visible()
    card_box = card.bounding_box()
    assert card_box is not None and card_box["y"] < PHONE["height"], f"the first venue card starts at {card_box}"
    # The categories scroll sideways there; every one is still a link.
    expect(page.get_by_role("link", name=re.compile(r"^Wellness"))).to_have_count(1)
    browser_errors.assert_none()


def test_on_a_desktop_the_filters_stay_in_their_column(page: Page, live_server, browser_errors):
    page.set_viewport_size(DESKTOP)
    page.goto("/search")
    expect(page.get_by_label("Open now")).to_be_visible()
    expect(page.get_by_role("group", name="Free on (UK time)")).to_be_visible()
    expect(page.get_by_label("Day")).to_be_visible()
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
