"""A customer opts in to offers at sign-up, downloads their data from the emailed link, asks
to delete their account, is signed out, signs back in to a banner and keeps the account."""

from __future__ import annotations

import json
import re
import zipfile

from playwright.sync_api import Page, expect

from e2e.conftest import sign_in

PASSWORD = "amber-willow-compass-2026"


def test_customer_downloads_their_data_then_asks_for_and_cancels_deletion(
    page: Page, unique_email, read_email, browser_errors, tmp_path
):
    email = unique_email("privacy")

    # Signing up: the policies are linked, and offers are opt-in (unticked until she ticks).
    page.goto("/account/sign-up")
    expect(page.get_by_role("link", name="privacy policy")).to_be_visible()
    offers = page.get_by_label(re.compile(r"Send me occasional offers"))
    expect(offers).not_to_be_checked()
    page.get_by_label("Full name").fill("Maud Privacy")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    offers.check()
    page.get_by_role("button", name="Create account").click()
    page.goto(read_email(email, subject_contains="Confirm your email").first_link)
    sign_in(page, email, PASSWORD, "Maud")

    # Her privacy page shows the choice she made, and the footer links every policy.
    page.goto("/account/profile")
    page.get_by_role("link", name="Your data and privacy").click()
    expect(page.get_by_role("heading", name="Your data and privacy", level=1)).to_be_visible()
    expect(page.get_by_label("Yes, email me offers and news")).to_be_checked()
    footer = page.get_by_role("navigation", name="Site information")
    for name in ("Privacy", "Terms", "Cookies"):
        expect(footer.get_by_role("link", name=name)).to_be_visible()

    # She changes her mind about offers.
    page.get_by_label("No marketing emails").check()
    page.get_by_role("button", name="Save my choice").click()
    expect(page.get_by_role("status").filter(has_text="we won't send you marketing emails")).to_be_visible()

    # "Download my data": the worker builds the ZIP and emails a link that downloads it.
    page.get_by_role("button", name="Prepare my data").click()
    expect(page.get_by_role("status").filter(has_text="We're preparing your data")).to_be_visible()
    link = read_email(email, subject_contains="ready to download").first_link
    with page.expect_download() as download_info:
        page.evaluate("url => { window.location.href = url }", link)
    target = tmp_path / "data.zip"
    download_info.value.save_as(target)
    archive = zipfile.ZipFile(target)
    assert json.loads(archive.read("profile.json"))["email"] == email
    assert [c["granted"] for c in json.loads(archive.read("consents.json"))] == [True, False]

    # "Delete my account": the password and the tick, then she is signed out everywhere.
    page.goto("/account/privacy")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label(re.compile(r"I understand")).check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("status").filter(has_text="Your account will be deleted in 14 days")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in", exact=True).first).to_be_visible()
    assert "14 days from now" in read_email(email, subject_contains="will be deleted").text

    # Signing back in shows a banner on every page; "Keep my account" cancels the deletion.
    sign_in(page, email, PASSWORD, "Maud")
    banner = page.locator("#deletion-banner")
    expect(banner).to_be_visible()
    banner.get_by_role("link", name="Keep my account").click()
    page.get_by_role("button", name="Keep my account").click()
    expect(page.get_by_role("status").filter(has_text="Your account will not be deleted")).to_be_visible()
    expect(page.locator("#deletion-banner")).to_have_count(0)
