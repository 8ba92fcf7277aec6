"""A visitor opens a venue page on a laptop and on a phone: the name, rating, prices and a Book
button are on the first screen, "Show all" opens every photo, the booking summary stays in view
while she reads, and on a phone the booking bar is always at hand."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import ROOT

SETUP_SCRIPT = """
import json, sys
from datetime import UTC, datetime

from sqlalchemy import select

from app import create_app
from app.accounts.models import Role, User
from app.platform.extensions import db
from app.demo.art import illustration
from app.venues.hours import Range
from app.venues.images import add_image
from app.venues.models import Category, VenueStatus
from app.payouts.accounts import connect_enabled_demo_account
from app.venues.service import create_venue, save_service, set_day_hours, update_location

spec = json.loads(sys.argv[1])
app = create_app()
with app.test_request_context():
    category = db.session.scalar(select(Category).where(Category.slug == "spa"))
    owner = User(email=spec["owner_email"], name="Sam Owner", role=Role.PROVIDER, email_verified_at=datetime.now(UTC))
    owner.set_password("not-used-in-this-journey-2026")
    db.session.add(owner)
    db.session.flush()
    venue = create_venue(owner, name=spec["name"], category_id=category.id, description="A calm spa.\\n\\n" * 3)
    update_location(
        venue, address_line="1 Market Street", city="London", postcode="EC1A 1AA", country="GB",
        latitude=51.52, longitude=-0.1, timezone="Europe/London",
    )
    for weekday in range(7):
        set_day_hours(venue, weekday, [Range(9 * 60, 20 * 60)])
    for name, price_minor in [("Spa day access", 11000), ("Hammam and scrub", 4000), ("Couples spa ritual", 7000)]:
        save_service(
            venue, None, name=name, description="With one of our team.", category_id=category.id,
            duration_minutes=60, price_minor=price_minor, capacity=1, buffer_minutes=0, is_active=True,
        )
    for n in range(6):
        add_image(venue, illustration("spa", n, seed=7), alt_text=f"Spa illustration {n + 1}")
    venue.status = VenueStatus.APPROVED
    connect_enabled_demo_account(venue)  # its payouts are set up: it takes bookings
    db.session.commit()
    print(venue.slug)
"""


def make_venue(live_server) -> tuple[str, str]:
    name = f"Lotus Rooms {uuid.uuid4().hex[:6]}"
    spec = {"name": name, "owner_email": f"venue-page-{uuid.uuid4().hex[:10]}@example.com"}
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
    return name, result.stdout.strip().splitlines()[-1]


def in_viewport(page: Page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def test_on_a_laptop_the_page_sells_and_shows_every_photo(page: Page, live_server, browser_errors):
    name, slug = make_venue(live_server)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/venues/{slug}")

    title = page.locator("header.venue-title")
    expect(title.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect(title).to_contain_text("£40.00 – £110.00")
    expect(title).to_contain_text("New on CozyWish")
    book = title.get_by_role("link", name="Book now")
    assert in_viewport(page, book), "the Book button is not on the first screen"

    # The grid shows five photos; "Show all" opens all six in a dialog that Escape closes.
    expect(page.locator(".venue-gallery-tile")).to_have_count(5)
    page.get_by_role("button", name="Show all 6 photos").click()
    dialog = page.get_by_role("dialog", name=f"Photos of {name} (6)")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("img")).to_have_count(6)
    expect(dialog).to_be_focused()  # focus moves into the dialog once it has opened
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Reading on, the booking summary stays in view; its Book button leads to the services.
    page.locator("#hours").scroll_into_view_if_needed()
    summary = page.get_by_role("complementary", name=f"Book at {name}")
    summary_book = summary.get_by_role("link", name="Book now")
    assert in_viewport(page, summary_book), "the booking summary scrolled away"
    summary_book.click()
    expect(page).to_have_url(f"{live_server.url}/venues/{slug}#services")
    page.locator("#services li", has_text="Hammam and scrub").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/venues/{slug}/book/\d+$"))
    assert browser_errors.messages == []


def test_on_a_phone_the_booking_bar_is_always_at_hand(browser: Browser, live_server):
    name, slug = make_venue(live_server)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/venues/{slug}")
        expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
        bar = page.locator(".venue-book-bar")
        expect(bar).to_contain_text("£40.00 – £110.00")
        assert in_viewport(page, bar.get_by_role("link", name="Book now"))
        assert in_viewport(page, page.locator(".venue-gallery-main img")), "the main photo is below the fold"
        # The wide-screen summary is not drawn on a phone; the small photos wait behind "Show all".
        expect(page.get_by_role("complementary", name=f"Book at {name}")).to_be_hidden()
        expect(page.locator(".venue-gallery-tile").nth(1)).to_be_hidden()
        page.locator("#faqs, #hours").first.scroll_into_view_if_needed()
        assert in_viewport(page, bar.get_by_role("link", name="Book now")), "the booking bar scrolled away"
        bar.get_by_role("link", name="Book now").click()
        expect(page).to_have_url(f"{live_server.url}/venues/{slug}#services")
    finally:
        context.close()
