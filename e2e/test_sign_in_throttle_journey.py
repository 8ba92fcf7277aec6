"""Repeated wrong passwords pause sign-in for that email, even for the right password."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import SIGNIN_MAX_FAILURES

PASSWORD = "amber-lighthouse-pillow-2026"
NO_MATCH = "That email and password don't match"
TOO_MANY = "Too many failed sign-in attempts"


def test_sign_in_pauses_after_repeated_wrong_passwords(page: Page, live_server, unique_email, browser_errors):
    email = unique_email("locked")
    live_server.flask("users", "create-admin", "--email", email, "--name", "Linus Admin", "--password", PASSWORD)
    alert = page.get_by_role("alert")

    def sign_in_with(password: str) -> None:
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()

    page.goto("/account/sign-in")

    # Someone guesses wrong, again and again: each time the answer gives nothing away.
    for attempt in range(1, SIGNIN_MAX_FAILURES + 1):
        sign_in_with(f"wrong-guess-number-{attempt}")
        expect(alert).to_contain_text(NO_MATCH)

    # The next try is refused outright, with a clear explanation.
    sign_in_with("wrong-guess-once-more")
    expect(alert).to_contain_text(TOO_MANY)
    expect(alert).to_contain_text("reset your password")

    # Even the right password is refused while the pause lasts.
    sign_in_with(PASSWORD)
    expect(alert).to_contain_text(TOO_MANY)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()

    browser_errors.assert_none()
