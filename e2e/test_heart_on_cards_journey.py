"""Hearts on every venue card: a visitor saves the FIRST search result with the keyboard and the
address stays put; a reload and her Saved page show it saved. Signed in, a category page's and the
home page's hearts save the same way. The search form still drives the results beside it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues, sign_in
from e2e.test_search_journey import Listing, set_up

PASSWORD = "heart-willow-lantern-2026"


def first_card(page: Page):
    return page.locator("[data-venue-card]").first


def check_heart_is_drawn_on_the_photo(card) -> None:
    """The round button over the photo's top right corner, not a bar across the card."""
    heart = card.locator("form.heart button")
    card_box, heart_box = card.bounding_box(), heart.bounding_box()
    assert card_box and heart_box
    assert heart_box["width"] < 60 and heart_box["height"] < 60, heart_box
    assert heart_box["x"] > card_box["x"] + card_box["width"] / 2, (heart_box, card_box)
    assert heart_box["y"] < card_box["y"] + 20, (heart_box, card_box)


def test_a_visitor_saves_the_first_result_by_keyboard_and_the_address_stays(
    page: Page, live_server, unique_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    aspen = Listing(f"Aspen Nails {tag}", "nails", [("Gel manicure", 3000)], 51.5100, -0.1300, (200, 170, 200))
    maple = Listing(f"Maple Nails {tag}", "nails", [("Pedicure", 3500)], 51.5155, -0.1410, (120, 160, 140))
    set_up(live_server, [aspen, maple])
    customer = {"email": unique_email("hearts"), "name": "Hana Heart"}
    seed_venues(live_server, {"password": PASSWORD, "customers": [customer], "venues": []})

    # -- signed out, on the page every visitor shares: the first card's heart, by keyboard -------
    page.goto(f"/search?q={tag}&sort=price")
    address = page.url
    card = first_card(page)
    name = card.get_by_role("heading", level=3).inner_text()
    assert name == aspen.name  # the cheaper one comes first
    check_heart_is_drawn_on_the_photo(card)
    heart = card.get_by_role("button", name=f"Save {name}")
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.focus()
    page.keyboard.press("Enter")
    expect(first_card(page).get_by_role("button", name=f"Save {name}")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status").filter(has_text=f"Saved {name}.")).to_be_visible()
    assert page.url == address  # no /saved/<id> in the address bar, and the search wasn't sent
    page.reload()
    expect(page).to_have_url(address)
    expect(first_card(page).get_by_role("button", name=f"Save {name}")).to_have_attribute("aria-pressed", "true")

    # The search form still works from the controls beside the results (form="search-form").
    page.get_by_label("Sort").select_option("relevance")
    expect(page).to_have_url(re.compile(rf"/search\?q={tag}$"))
    page.get_by_label("Sort").select_option("price")
    expect(page).to_have_url(re.compile(rf"/search\?q={tag}&sort=price$"))
    expect(first_card(page).get_by_role("button", name=f"Save {name}")).to_have_attribute("aria-pressed", "true")

    page.goto("/saved")
    saved = page.get_by_role("list", name="Saved venues")
    expect(saved.get_by_role("link", name=aspen.name)).to_be_visible()
    expect(saved.get_by_role("link", name=maple.name)).to_have_count(0)

    # -- signed in (what she saved came along): a category page's first card, with clicks -------
    sign_in(page, customer["email"], PASSWORD, "Hana")
    page.goto(f"/c/nails?q={tag}&sort=price")
    address = page.url
    card = first_card(page)
    expect(card.get_by_role("heading", level=3)).to_have_text(aspen.name)
    check_heart_is_drawn_on_the_photo(card)
    heart = card.get_by_role("button", name=f"Save {aspen.name}")
    expect(heart).to_have_attribute("aria-pressed", "true")
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    assert page.url == address
    page.reload()
    expect(first_card(page).get_by_role("button", name=f"Save {aspen.name}")).to_have_attribute("aria-pressed", "true")

    # -- the home page's shelf of saved venues: removed by keyboard, the address stays ----------
    page.goto("/")
    shelf = page.get_by_role("region", name="Your saved venues")
    card = shelf.locator("[data-venue-card]").first
    check_heart_is_drawn_on_the_photo(card)
    heart = card.get_by_role("button", name=f"Save {aspen.name}")
    heart.focus()
    page.keyboard.press("Space")
    expect(heart).to_have_attribute("aria-pressed", "false")
    expect(page).to_have_url(re.compile(r"/$"))
    page.reload()
    expect(page.get_by_role("region", name="Your saved venues")).to_have_count(0)
    browser_errors.assert_none()
