"""A customer reviews a past visit from her booking's page, the venue page shows it, and an admin
hides it with a reason."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import reload_until_visible, seed_venues, watch
from e2e.conftest import sign_in as e2e_sign_in
from e2e.seed import ADMIN_TOTP_SECRET

PASSWORD = "meadow-copper-lantern-2026"


def sign_in(page: Page, address: str, first_name: str, **kwargs) -> None:
    e2e_sign_in(page, address, PASSWORD, first_name, **kwargs)


def test_customer_reviews_a_past_visit_and_an_admin_hides_it(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("reviewer"), "name": "Nina Hart"}
    admin = {"email": unique_email("moderator"), "name": "Omar Admin"}
    venue_name = f"Fern Rooms {tag}"
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "admins": [admin],
            "venues": [
                {
                    "owner_email": unique_email("fern"),
                    "owner_name": "Iris Fern",
                    "name": venue_name,
                    "address": "3 Fern Lane",
                    "city": "London",
                    "postcode": "N1 1AA",
                    "country": "GB",
                    "latitude": 51.53,
                    "longitude": -0.1,
                    "timezone": "Europe/London",
                    "service": "Hot stone massage",
                    "price_minor": 7000,
                    "team": [],
                    "past_visits": [{"customer_email": customer["email"], "days_ago": 3}],
                }
            ],
        },
    )
    (reference,) = venue["visits"]
    words = f"Warm stones, quiet room and a very kind therapist ({tag})."

    # The venue has no reviews yet.
    page.goto(f"/venues/{venue['slug']}")
    expect(page.get_by_text("No reviews yet.")).to_be_visible()

    # From "My bookings" → Past → the booking → Leave a review.
    sign_in(page, customer["email"], "Nina")
    page.goto("/bookings?tab=past")
    page.get_by_role("link", name="Hot stone massage", exact=True).click()
    expect(page.get_by_role("heading", name="Hot stone massage")).to_be_visible()
    page.get_by_role("link", name="Leave a review").click()

    # Publishing without stars or words is refused with a message, keyboard-reachable.
    page.get_by_role("button", name="Publish review").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a rating from 1 to 5 stars.")

    page.get_by_label("4: good").check()
    page.get_by_label("Your review").fill(words)
    page.get_by_role("button", name="Publish review").click()
    expect(page.get_by_role("status").filter(has_text="Thank you! Your review is live")).to_be_visible()
    expect(page.get_by_role("link", name="Your review")).to_be_visible()
    expect(page.get_by_role("link", name="Leave a review")).to_have_count(0)

    # The venue page: the average, the count, the words, the first name only.
    page.goto(f"/venues/{venue['slug']}")
    reviews = page.locator("#reviews")
    expect(reviews).to_contain_text("4.0")
    expect(reviews).to_contain_text("from 1 review")
    expect(reviews).to_contain_text(words)
    expect(reviews).to_contain_text("Nina")
    expect(reviews).not_to_contain_text("Hart")
    browser_errors.assert_none()

    # An admin hides it with a reason; the venue page no longer shows it.
    admin_page = new_context().new_page()
    admin_errors = watch(admin_page)
    sign_in(admin_page, admin["email"], "Omar", totp_secret=ADMIN_TOTP_SECRET)
    admin_page.get_by_role("link", name="Reviews").first.click()
    admin_page.get_by_label("Search by venue or words in the review").fill(tag)
    # The list is searched as one types (300 ms after the last key): act on the searched list,
    # not on the first one, which the search's answer replaces (under load, mid-action).
    expect(admin_page).to_have_url(re.compile(rf"[?&]q={tag}\b"))
    item = admin_page.get_by_role("listitem").filter(has_text=words)
    expect(item).to_be_visible()
    item.get_by_label("Why hide this review?").fill("Names a member of staff")
    item.get_by_role("button", name="Hide").click()
    expect(admin_page.get_by_role("status").filter(has_text="Review hidden")).to_be_visible()
    admin_errors.assert_none()

    # Another person's change (the admin's): on every worker within a second.
    page.goto(f"/venues/{venue['slug']}")
    reload_until_visible(page, page.get_by_text("No reviews yet."), seconds=5)
    expect(page.get_by_text(words)).to_have_count(0)
    page.goto(f"/bookings/{reference}/review")
    expect(page.get_by_text("Our team hid this review from the venue's page: Names a member of staff")).to_be_visible()
    browser_errors.assert_none()
