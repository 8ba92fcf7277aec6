"""A customer signs up, confirms their email from the real email, signs in, and picks dark mode."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "quiet-harbor-lantern-2026"


def test_customer_signs_up_confirms_email_and_signs_in(page: Page, unique_email, read_email, browser_errors):
    email = unique_email("customer")
    nav = page.get_by_role("navigation", name="Main")

    # Ada opens the home page and chooses to sign up.
    page.goto("/")
    expect(page.get_by_role("heading", name="Find your moment of calm")).to_be_visible()
    nav.get_by_role("link", name="Sign up", exact=True).click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()

    # Booking treatments is the default kind of account.
    expect(page.get_by_label("Looking to book")).to_be_checked()
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email").fill(email)

    # The strength meter reacts while she types: a short password is weak, a long passphrase strong.
    password = page.get_by_label("Password", exact=True)
    meter = page.get_by_role("progressbar", name="Password strength")
    expect(meter).to_be_visible()  # shown once the page's script is ready to score passwords
    password.fill("harbor")
    expect(page.get_by_text(re.compile(r"Use at least 12 characters"))).to_be_visible()
    weak = int(meter.get_attribute("aria-valuenow") or 0)
    assert 1 <= weak <= 2
    password.fill(PASSWORD)
    expect(meter).to_have_attribute("aria-valuenow", re.compile(r"^[45]$"))
    expect(page.get_by_text(re.compile(r"^(Good|Strong)"))).to_be_visible()

    page.get_by_role("button", name="Create account").click()

    # She is asked to check her inbox; the job worker has sent her a confirmation link.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text(email).first).to_be_visible()
    message = read_email(email, subject_contains="Confirm your email")
    assert "Hi Ada" in message.text

    # Opening the link confirms the address and takes her to sign in, her email filled in.
    page.goto(message.first_link)
    expect(page.get_by_role("status").filter(has_text="Your email is confirmed")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    # Signed in: her first name is in the navigation, and the site welcomes her.
    expect(nav.get_by_role("button", name=re.compile(r"^Ada\b"))).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Welcome back, Ada")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_have_count(0)

    # She prefers dark mode, and the site remembers it on the next page load.
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "light")
    nav.get_by_role("button", name="Dark mode").click()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    expect(nav.get_by_role("button", name="Light mode")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    expect(nav.get_by_role("button", name="Light mode")).to_be_visible()

    browser_errors.assert_none()
