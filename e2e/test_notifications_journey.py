"""A customer turns on text-message reminders from Profile → Notifications: types a mobile
number, flips the switch, saves without a page load (a toast), and the choice is still there
after a reload, with the number in international form."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible, seed_venues, sign_in

PASSWORD = "amber-willow-compass-2026"


def test_customer_turns_on_sms_reminders(page: Page, live_server, unique_email, browser_errors):
    customer = {"email": unique_email("texts"), "name": "Tess Reminder"}
    seed_venues(live_server, {"password": PASSWORD, "customers": [customer], "venues": []})
    sign_in(page, customer["email"], PASSWORD, "Tess")

    page.goto("/account/profile")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()  # the bell
    assert_accessible(page, "nav")  # the signed-in navigation
    page.get_by_role("link", name="Notification settings").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    sms = page.get_by_label("Reminders before an appointment by text message")
    email = page.get_by_label("Reminders before an appointment by email")
    expect(sms).not_to_be_checked()
    expect(email).to_be_checked()

    page.get_by_label("Mobile number", exact=True).fill("07911 123456")
    sms.check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status").filter(has_text="Your notification choices are saved.")).to_be_visible()
    expect(page.get_by_label("Mobile number", exact=True)).to_have_value("+44 7911 123456")

    page.reload()
    expect(page.get_by_label("Reminders before an appointment by text message")).to_be_checked()
    expect(page.get_by_label("Reminders before an appointment by email")).to_be_checked()
    expect(page.get_by_label("Booking confirmations by text message")).not_to_be_checked()
