"""Invitations back (issue 47, item 6) in a browser: the owner invites customers back six weeks
after a massage (the service form), switches on birthday messages and a win-back after six
months (Reminders, saved without a page load; a bad number is refused and nothing changes); a
customer gives a date of birth; the unsubscribe link of an email works signed out. Screenshots at
1366x900 and 390x844, light and dark."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible, run_python, seed_venues, sign_in
from e2e.screens import shoot

PASSWORD = "cedar-ripple-lantern-2026"

# The link a consenting customer's invitation carries, as the live server signs it.
TOKEN = """
import json, sys
from sqlalchemy import select
from app import create_app
from app.accounts.models import User
from app.platform.extensions import db
from app.privacy import consent
spec = json.loads(sys.argv[1])
app = create_app()
with app.test_request_context(base_url=app.config.get("BASE_URL") or None):
    user = db.session.scalar(select(User).where(User.email == spec["email"]))
    consent.record_marketing_choice(user.id, granted=True, source="settings")
    db.session.commit()
    print(json.dumps({"path": "/unsubscribe/" + consent.unsubscribe_token(user.id)}))
"""


def unsubscribe_path(live_server, email: str) -> str:
    return run_python(live_server, ["-c", TOKEN], {"email": email})["path"]


def test_owner_switches_invitations_and_customer_unsubscribes(page: Page, live_server, unique_email, browser_errors):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("regular"), "name": "Rhea Regular"}
    owner = {"email": unique_email("owner"), "name": "Orla Cedar"}
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Cedar Rooms {tag}",
                    "address": "3 Cedar Row",
                    "city": "York",
                    "postcode": "YO1 7HH",
                    "country": "GB",
                    "latitude": 53.96,
                    "longitude": -1.08,
                    "timezone": "Europe/London",
                    "service": "Deep tissue massage",
                    "price_minor": 6000,
                    "team": [],
                }
            ],
        },
    )

    # The owner: six weeks on the massage, then birthdays and a win-back under Reminders.
    sign_in(page, owner["email"], PASSWORD, "Orla")
    page.goto(f"/provider/venue/services/{venue['service_id']}")
    editing = page.get_by_role("list", name="Your services")
    editing.get_by_label("Invite back after (weeks)").fill("6")
    editing.get_by_role("button", name="Save changes").click()
    expect(editing.get_by_label("Invite back after (weeks)")).to_have_count(0)  # the row is back
    page.goto(f"/provider/venue/services/{venue['service_id']}")
    expect(page.get_by_role("list", name="Your services").get_by_label("Invite back after (weeks)")).to_have_value("6")

    page.goto("/provider/reminders")
    expect(page.get_by_role("heading", name="Invitations back")).to_be_visible()
    months = page.get_by_label("Win back after (months)")
    months.fill("30")
    page.get_by_role("button", name="Save invitations back").click()
    expect(page.get_by_role("alert").filter(has_text="Win back after 2 to 24 months")).to_be_visible()
    # That refusal is a 422 the page swaps in on purpose (static/js/app.js): not a browser error.
    browser_errors.console[:] = [
        (text, url) for text, url in browser_errors.console if not ("422" in text and url.endswith("/invitations"))
    ]
    page.get_by_label("Birthday messages").check()
    page.get_by_label("Win back after (months)").fill("6")
    page.get_by_role("button", name="Save invitations back").click()
    expect(page.get_by_role("status").filter(has_text="Invitations back saved.")).to_be_visible()
    assert_accessible(page, "main")
    shoot(page, "invitations-back", "reminders")
    page.reload()
    expect(page.get_by_label("Birthday messages")).to_be_checked()
    expect(page.get_by_label("Win back after (months)")).to_have_value("6")
    page.context.clear_cookies()

    # The customer: a date of birth on the profile.
    sign_in(page, customer["email"], PASSWORD, "Rhea")
    page.goto("/account/profile")
    page.get_by_label("Date of birth").fill("1990-03-14")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("Date of birth")).to_have_value("1990-03-14")
    page.context.clear_cookies()

    # Their invitation's unsubscribe link, signed out: a page with a button, then done.
    page.goto(unsubscribe_path(live_server, customer["email"]))
    expect(page.get_by_role("heading", name="Offers and news emails")).to_be_visible()
    assert_accessible(page, "main")
    shoot(page, "invitations-back", "unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("status").filter(has_text="we won't send you offers and news")).to_be_visible()
    shoot(page, "invitations-back", "unsubscribed")
