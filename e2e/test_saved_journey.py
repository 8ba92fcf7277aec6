"""A visitor, not signed in, saves a venue from a page every visitor shares, looks at another,
finds both on her Saved page (saved, and recently viewed), then signs in and keeps what she saved."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues, sign_in

PASSWORD = "harbour-willow-lantern-2026"


def venue(name: str, owner: str, latitude: float) -> dict:
    return {
        "owner_email": owner,
        "owner_name": "Iris Owner",
        "name": name,
        "address": "3 Fern Lane",
        "city": "London",
        "postcode": "N1 1AA",
        "country": "GB",
        "latitude": latitude,
        "longitude": -0.1,
        "timezone": "Europe/London",
        "service": "Hot stone massage",
        "price_minor": 7000,
        "team": [],
    }


def test_a_visitor_saves_signed_out_and_keeps_it_after_signing_in(
    page: Page, live_server, unique_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("saver"), "name": "Rosa Hart"}
    fern, birch = f"Fern Rooms {tag}", f"Birch Rooms {tag}"
    seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [venue(fern, unique_email("fern"), 51.53), venue(birch, unique_email("birch"), 51.54)],
        },
    )
    live_server.flask("search", "reindex")

    # A first visit carries no cookie: the results page is the one every visitor shares, with
    # no form token in it. The heart still works: the page fetches a token first.
    page.goto(f"/search?q={tag}")
    expect(page.locator('meta[name="csrf-token"]')).to_have_count(0)  # really the shared page
    card = page.locator("article").filter(has=page.get_by_role("link", name=fern))
    heart = card.get_by_role("button", name=f"Save {fern}")
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.click()
    expect(card.get_by_role("button", name=f"Save {fern}")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status").filter(has_text=f"Saved {fern}.")).to_be_visible()

    # She looks at the other venue, then opens Saved.
    page.get_by_role("link", name=birch).click()
    expect(page.get_by_role("heading", level=1, name=birch)).to_be_visible()
    # The venue page adds itself to "Recently viewed" when its deferred script runs: the
    # heading can show before that, and a click that quick would leave before it is written.
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Saved").first.click()
    saved = page.get_by_role("list", name="Saved venues")
    expect(saved.get_by_role("link", name=fern)).to_be_visible()
    expect(saved.get_by_role("link", name=birch)).to_have_count(0)
    recent = page.get_by_role("region", name="Recently viewed")
    expect(recent.get_by_role("link", name=birch)).to_be_visible()

    # Signing in keeps what she saved; removing it from the venue page empties Saved.
    sign_in(page, customer["email"], PASSWORD, "Rosa")
    page.goto("/saved")
    expect(page.get_by_text("Venues you saved, newest first.")).to_be_visible()
    page.get_by_role("list", name="Saved venues").get_by_role("link", name=fern).click()
    title_heart = page.locator("header.venue-title").get_by_role("button", name=f"Save {fern}")
    expect(title_heart).to_have_attribute("aria-pressed", "true")
    title_heart.click()
    expect(page.locator("header.venue-title").get_by_role("button", name=f"Save {fern}")).to_have_attribute(
        "aria-pressed", "false"
    )
    page.goto("/saved")
    expect(page.get_by_text("Nothing saved yet")).to_be_visible()
