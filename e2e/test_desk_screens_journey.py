"""The front desk's new screens in a real browser (issue 45, items 3-6 and 8): the Today page, a
client profile whose details the desk corrects, the venue's conversations and the analytics
charts; each at 1366x900 and 390x844, in light and dark, with no serious axe violation and no
console error. The screenshots land in docs/screenshots/ when E2E_SCREENSHOTS is set."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import look_everywhere, seed_venues
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "meadow-copper-lantern-2026"


def test_the_desks_new_screens_read_well_everywhere(page: Page, live_server, unique_email, browser_errors):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("desk-screens"), "name": "Mara Mover"}
    owner = {"email": unique_email("desk-screens-owner"), "name": "Otto Owner"}
    seed_venues(
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
                    "upcoming": [{"customer_email": customer["email"], "days_ahead": 2}],
                }
            ],
        },
    )
    e2e_sign_in(page, owner["email"], PASSWORD, "Otto")

    # Today, from the menu.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    expect(page.locator("[data-takings]")).to_be_visible()  # the owner sees takings
    look_everywhere(page, "today")

    # A client's profile: the desk corrects a mistyped phone and adds a birthday.
    page.goto("/provider/clients")
    page.get_by_role("link", name="Mara Mover").first.click()
    expect(page.get_by_role("heading", level=1, name="Mara Mover")).to_be_visible()
    page.get_by_text("Edit details").click()
    page.get_by_label("Phone").fill("+44 7700 900123")
    page.get_by_label("Birthday (optional)").fill("1990-03-14")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status").filter(has_text="Details saved.")).to_be_visible()
    expect(page.locator("[data-client-phone]")).to_have_text("+44 7700 900123")
    expect(page.locator("[data-client-birthday]")).to_contain_text("14 March 1990")
    expect(page.locator("#client-upcoming")).to_contain_text("Hot stone massage")
    look_everywhere(page, "client")

    # The venue's conversations, from the menu.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
    expect(page).to_have_url(re.compile(r"/provider/messages"))
    look_everywhere(page, "conversations")

    # The analytics page opens on its charts.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics").click()
    expect(page.locator("svg[role='img']").first).to_be_visible()
    look_everywhere(page, "analytics")
    browser_errors.assert_none()
