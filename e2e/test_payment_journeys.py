"""Paying with the Demo gateway in a real browser, with the real job worker settling events:
a declined card releases the held time for the next customer; a free cancellation is
refunded and the booking page says so."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from e2e.conftest import ROOT, BrowserErrors

PASSWORD = "harbour-maple-quartz-2026"
PAYS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
TIMEZONE = "Europe/London"
DAYS_AHEAD = 4  # well outside the 24-hour free cancellation window
HOUR = 11
SETTLE_TIMEOUT = 20_000  # ms: the worker picks up the settle and refund jobs

# One approved London venue (open 09:00-18:00 daily) with one 60-minute service at £60.00 for
# one person at a time, and two customers, made with the app's own service functions.
SETUP_SCRIPT = """
import json, sys
from datetime import UTC, datetime

from app import create_app
from app.accounts.models import Role, User
from app.extensions import db
from app.venues.hours import Range
from app.venues.models import VenueStatus
from app.venues.service import create_venue, save_service, set_day_hours, update_location

spec = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    def person(address, name, role):
        user = User(email=address, name=name, role=role, email_verified_at=datetime.now(UTC))
        user.set_password(spec["password"])
        db.session.add(user)
        db.session.flush()
        return user

    for customer in spec["customers"]:
        person(customer["email"], customer["name"], Role.CUSTOMER)
    owner = person(spec["owner_email"], "Olive Owner", Role.PROVIDER)
    venue = create_venue(owner, name=spec["venue"], category_id=None, description="A calm place to unwind.")
    update_location(
        venue, address_line="12 Elm Street", city="London", postcode="SW1A 1AA", country="GB",
        latitude=51.5072, longitude=-0.1276, timezone=spec["timezone"],
    )
    for weekday in range(7):
        set_day_hours(venue, weekday, [Range(9 * 60, 18 * 60)])
    service = save_service(
        venue, None, name="Deep tissue massage", description="", category_id=None, duration_minutes=60,
        price_minor=6000, capacity=1, buffer_minutes=0, is_active=True,
    )
    venue.status = VenueStatus.APPROVED
    db.session.commit()
    print(json.dumps({"slug": venue.slug, "service_id": service.id}))
"""


def set_up(live_server, venue: str, customers: list[dict]) -> dict:
    spec = {
        "password": PASSWORD,
        "customers": customers,
        "owner_email": f"owner-{uuid.uuid4().hex[:12]}@example.com",
        "venue": venue,
        "timezone": TIMEZONE,
    }
    result = subprocess.run(
        [sys.executable, "-c", SETUP_SCRIPT, json.dumps(spec)],
        cwd=ROOT,
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"setup failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def watch(page: Page) -> BrowserErrors:
    errors = BrowserErrors()
    page.on("console", errors.on_console)
    page.on("pageerror", errors.on_page_error)
    page.on("response", errors.on_response)
    return errors


def sign_in(page: Page, address: str, first_name: str) -> None:
    page.goto("/account/sign-in")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status").filter(has_text=f"Welcome back, {first_name}")).to_be_visible()


def booking_day() -> str:
    return (datetime.now(ZoneInfo(TIMEZONE)).date() + timedelta(days=DAYS_AHEAD)).isoformat()


def hold_the_time(page: Page, venue: dict) -> None:
    """The day's times, 11:00, Add to cart, Check out: the order page with the time held."""
    page.goto(f"/venues/{venue['slug']}/book/{venue['service_id']}?day={booking_day()}")
    page.get_by_role("list", name="Free times").get_by_role(
        "link", name=re.compile(rf"^{HOUR}:00 ?, 1 place left$")
    ).click()
    details = page.locator("#slot-details")
    details.get_by_role("button", name="Add to cart").click()
    expect(details.get_by_role("status")).to_contain_text("Added Deep tissue massage to your cart.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cart (1)").click()
    page.get_by_role("complementary").get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    expect(page.get_by_role("region", name="Held for you")).to_contain_text("Held, waiting for payment")


def pay_with(page: Page, card: str) -> None:
    """From the order page: Pay securely, then the demo checkout with ``card``."""
    page.get_by_role("button", name="Pay £60.00 securely").click()
    expect(page.get_by_role("heading", name="Pay £60.00")).to_be_visible()
    expect(page.get_by_role("region", name="Order summary")).to_contain_text("Deep tissue massage")
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay £60.00").click()


def test_a_declined_card_releases_the_time_and_someone_else_books_it(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    first = {"email": unique_email("declined"), "name": "Dora Declined"}
    second = {"email": unique_email("next"), "name": "Nina Next"}
    venue = set_up(live_server, f"Harbour Rooms {uuid.uuid4().hex[:6]}", [first, second])

    # -- Dora holds 11:00 and pays with the card that is always declined. --------------------------
    sign_in(page, first["email"], "Dora")
    hold_the_time(page, venue)
    pay_with(page, DECLINED)
    expect(page).to_have_url(re.compile(r"/payments/return/\d+$"))
    expect(page.get_by_role("heading", name="Your payment didn't go through")).to_be_visible(timeout=SETTLE_TIMEOUT)
    expect(page.get_by_text("We've released the times we were holding for you.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Book Deep tissue massage at .* again$"))).to_be_visible()
    browser_errors.assert_none()

    # -- Nina finds 11:00 free at once, holds it and pays. -----------------------------------------
    nina = new_context().new_page()
    nina_errors = watch(nina)
    sign_in(nina, second["email"], "Nina")
    hold_the_time(nina, venue)
    pay_with(nina, PAYS)
    expect(nina.get_by_role("heading", name="You're booked")).to_be_visible(timeout=SETTLE_TIMEOUT)
    expect(nina.get_by_role("region", name="Your bookings")).to_contain_text("Confirmed")
    nina_errors.assert_none()


def test_cancelling_inside_the_free_window_refunds_the_card(
    page: Page, live_server, unique_email, read_email, browser_errors
):
    customer = {"email": unique_email("refund"), "name": "Rosa Refund"}
    venue = set_up(live_server, f"Quay Spa {uuid.uuid4().hex[:6]}", [customer])

    # -- Rosa pays; the return page confirms once the worker has settled the payment. -------------
    sign_in(page, customer["email"], "Rosa")
    hold_the_time(page, venue)
    pay_with(page, PAYS)
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible(timeout=SETTLE_TIMEOUT)
    receipt = read_email(customer["email"], subject_contains="Receipt")
    assert "£60.00" in receipt.text and "Deep tissue massage" in receipt.text

    # The receipt page shows the number the email gave.
    number = re.search(r"Receipt number: (\d+)", receipt.text).group(1)
    page.get_by_role("link", name=f"View receipt {number}").click()
    expect(page.get_by_role("heading", name=f"Receipt {number}")).to_be_visible()
    expect(page.locator("[data-total]")).to_have_text("£60.00")
    page.go_back()

    # -- She cancels, free of charge: a refund of the full price is recorded and settles. ----------
    page.get_by_role("region", name="Your bookings").get_by_role("link", name=re.compile(r"^CW-")).click()
    expect(page.get_by_text("Free cancellation until")).to_be_visible()
    page.get_by_role("link", name="Cancel booking").click()
    expect(page.locator("[data-refund]")).to_have_text("£60.00")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_role("status").filter(has_text="Cancelled. Refund due: £60.00")).to_be_visible()

    refunded = page.locator('[data-refund-status="succeeded"]')
    deadline = time.monotonic() + SETTLE_TIMEOUT / 1000
    while refunded.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(refunded).to_have_text(re.compile(r"Refunded to your card: £60\.00"))
    browser_errors.assert_none()
