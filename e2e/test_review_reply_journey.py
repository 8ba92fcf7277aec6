"""A customer reviews a past visit, the venue's owner answers it, the customer reads the answer
under the review, and an admin hides the answer with a reason (issue 34)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues, watch
from e2e.conftest import sign_in as e2e_sign_in
from e2e.seed import ADMIN_TOTP_SECRET

PASSWORD = "meadow-copper-lantern-2026"


def test_owner_answers_a_review_the_customer_reads_it_and_an_admin_hides_it(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("answered"), "name": "Rosa Reed"}
    owner = {"email": unique_email("answering-owner"), "name": "Theo Birch"}
    admin = {"email": unique_email("reply-moderator"), "name": "Maya Admin"}
    venue_name = f"Birch Rooms {tag}"
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "admins": [admin],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": venue_name,
                    "address": "4 Birch Road",
                    "city": "London",
                    "postcode": "N4 1AA",
                    "country": "GB",
                    "latitude": 51.56,
                    "longitude": -0.1,
                    "timezone": "Europe/London",
                    "service": "Aromatherapy massage",
                    "price_minor": 6000,
                    "team": [],
                    "past_visits": [{"customer_email": customer["email"], "days_ago": 2}],
                }
            ],
        },
    )
    (reference,) = venue["visits"]
    words = f"Calm room and good pressure, a little late to start ({tag})."
    answer = f"Thank you Rosa, sorry for the wait; we have changed our bookings gap ({tag})."

    # The customer reviews her past booking.
    e2e_sign_in(page, customer["email"], PASSWORD, "Rosa")
    page.goto(f"/bookings/{reference}/review")
    page.get_by_label("4: good").check()
    page.get_by_label("Your review").fill(words)
    page.get_by_role("button", name="Publish review").click()
    expect(page.get_by_role("status").filter(has_text="Thank you! Your review is live")).to_be_visible()

    # The owner answers it from Reviews.
    owner_page = new_context().new_page()
    owner_errors = watch(owner_page)
    e2e_sign_in(owner_page, owner["email"], PASSWORD, "Theo")
    owner_page.goto("/provider/reviews")
    item = owner_page.get_by_role("listitem").filter(has_text=words)
    item.get_by_label("Answer this review").fill(answer)
    item.get_by_role("button", name="Publish answer").click()
    expect(owner_page.get_by_role("status").filter(has_text="Answer published under the review.")).to_be_visible()
    expect(owner_page.get_by_role("listitem").filter(has_text=words).get_by_label("Edit your answer")).to_have_value(
        answer
    )
    owner_errors.assert_none()

    # The customer sees the answer under her review, in the venue's name, and on the venue page.
    page.goto(f"/bookings/{reference}/review")
    expect(page.get_by_text(f"Answer from {venue_name}")).to_be_visible()
    expect(page.get_by_text(answer)).to_be_visible()
    page.goto(f"/venues/{venue['slug']}")
    expect(page.locator("#reviews")).to_contain_text(answer)
    browser_errors.assert_none()

    # An admin hides the answer with a reason; it leaves the customer's and the venue's pages.
    admin_page = new_context().new_page()
    admin_errors = watch(admin_page)
    e2e_sign_in(admin_page, admin["email"], PASSWORD, "Maya", totp_secret=ADMIN_TOTP_SECRET)
    admin_page.get_by_role("link", name="Reviews").first.click()
    admin_page.get_by_label("Search by venue or words in the review").fill(tag)
    expect(admin_page).to_have_url(re.compile(rf"[?&]q={tag}\b"))
    entry = admin_page.get_by_role("listitem").filter(has_text=words)
    expect(entry).to_contain_text(answer)
    entry.get_by_label("Why hide this answer?").fill("Names the customer")
    entry.get_by_role("button", name=re.compile("^Hide answer")).click()
    expect(admin_page.get_by_role("status").filter(has_text="Answer hidden from the venue's page.")).to_be_visible()
    admin_errors.assert_none()

    page.goto(f"/bookings/{reference}/review")
    expect(page.get_by_text(words)).to_be_visible()
    expect(page.get_by_text(answer)).to_have_count(0)
    page.goto(f"/venues/{venue['slug']}")
    expect(page.locator("#reviews")).to_contain_text(words)
    expect(page.locator("#reviews")).not_to_contain_text(answer)
    owner_page.goto("/provider/reviews")
    expect(owner_page.get_by_text("Our team hid your answer: Names the customer")).to_be_visible()
    browser_errors.assert_none()
