"""A venue owner signs up from "List your venue", confirms by email, and lands on their provider page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "copper-meadow-teapot-2026"


def test_venue_owner_signs_up_and_reaches_the_provider_page(page: Page, unique_email, read_email, browser_errors):
    email = unique_email("owner")
    nav = page.get_by_role("navigation", name="Main")

    # Grace runs a spa; she follows "List your venue" from the home page.
    page.goto("/")
    nav.get_by_role("link", name="List your venue").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()

    # The sign-up form already knows she is a venue owner.
    expect(page.get_by_label("A venue owner")).to_be_checked()
    expect(page.get_by_label("Looking to book")).not_to_be_checked()

    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # She confirms her address from the email the worker sent.
    message = read_email(email, subject_contains="Confirm your email")
    page.goto(message.first_link)
    expect(page.get_by_role("status").filter(has_text="Your email is confirmed")).to_be_visible()

    # Signing in takes her straight to her venue dashboard, which starts her on the setup wizard.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/provider/venue/basics$"))
    expect(page.get_by_role("heading", name="Hello, Grace")).to_be_visible()
    expect(page.get_by_text("Venue owner", exact=True)).to_be_visible()
    expect(page.get_by_text("confirmed", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="My venue")).to_be_visible()
    expect(nav.get_by_role("button", name=re.compile(r"^Grace\b.*provider", re.IGNORECASE))).to_be_visible()

    browser_errors.assert_none()
