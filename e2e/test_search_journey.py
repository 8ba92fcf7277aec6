"""A visitor searches with a typo, narrows by category and price, steps back and forth, opens the
map, and follows a pin to a venue."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from e2e.conftest import ROOT

# Approved venues in London, made with the app's own service functions in the live server's
# database, each with a photo, hours every day and its services.
SETUP_SCRIPT = """
import io, json, sys
from datetime import UTC, datetime

from PIL import Image
from sqlalchemy import select

from app import create_app
from app.accounts.models import Role, User
from app.platform.extensions import db
from app.payouts.accounts import connect_enabled_demo_account
from app.venues.hours import Range
from app.venues.images import add_image
from app.venues.models import Category, VenueStatus
from app.venues.service import create_venue, save_service, set_day_hours, update_location

spec = json.loads(sys.argv[1])
app = create_app()
with app.test_request_context():
    categories = {c.slug: c.id for c in db.session.scalars(select(Category))}
    made = []
    for v in spec["venues"]:
        owner = User(email=v["owner_email"], name="Sam Owner", role=Role.PROVIDER, email_verified_at=datetime.now(UTC))
        owner.set_password("not-used-in-this-journey-2026")
        db.session.add(owner)
        db.session.flush()
        venue = create_venue(owner, name=v["name"], category_id=categories[v["category"]], description=v["description"])
        update_location(
            venue, address_line="1 Market Street", city="London", postcode="EC1A 1AA", country="GB",
            latitude=v["latitude"], longitude=v["longitude"], timezone="Europe/London",
        )
        for weekday in range(7):
            set_day_hours(venue, weekday, [Range(9 * 60, 20 * 60)])
        for name, price_minor in v["services"]:
            save_service(
                venue, None, name=name, description="", category_id=None, duration_minutes=60,
                price_minor=price_minor, capacity=1, buffer_minutes=0, is_active=True,
            )
        photo = io.BytesIO()
        Image.new("RGB", (900, 700), tuple(v["colour"])).save(photo, "PNG")
        add_image(venue, photo.getvalue(), alt_text=f"Inside {v['name']}")
        venue.status = VenueStatus.APPROVED
        connect_enabled_demo_account(venue)  # its payouts are set up: it takes bookings
        db.session.flush()
        made.append(venue.slug)
    db.session.commit()
    print(json.dumps(made))
"""


@dataclass
class Listing:
    name: str
    category: str
    services: list[tuple[str, int]]
    latitude: float
    longitude: float
    colour: tuple[int, int, int]
    slug: str = ""


def set_up(live_server, listings: list[Listing]) -> None:
    """Create the venues, approve them, and rebuild the search index."""
    spec = {
        "venues": [
            {
                "name": v.name,
                "category": v.category,
                "description": f"{v.name} is a calm place in central London.",
                "services": v.services,
                "latitude": v.latitude,
                "longitude": v.longitude,
                "colour": v.colour,
                "owner_email": f"search-owner-{uuid.uuid4().hex[:10]}@example.com",
            }
            for v in listings
        ]
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
    for listing, slug in zip(listings, json.loads(result.stdout.strip().splitlines()[-1]), strict=True):
        listing.slug = slug
    live_server.flask("search", "reindex")


def test_visitor_finds_a_massage_by_typo_filters_and_opens_it_from_the_map(page: Page, live_server, browser_errors):
    tag = uuid.uuid4().hex[:6]
    juniper = Listing(
        f"Juniper Massage Loft {tag}", "massage", [("Swedish massage", 4000)], 51.5155, -0.1410, (120, 160, 140)
    )
    birch = Listing(
        f"Birch Massage Studio {tag}", "massage", [("Deep tissue massage", 8000)], 51.5200, -0.1000, (180, 150, 120)
    )
    rowan = Listing(
        f"Rowan Nail Studio {tag}",
        "nails",
        [("Gel manicure", 3000), ("Hand massage", 1500)],
        51.5100,
        -0.1300,
        (200, 170, 200),
    )
    set_up(live_server, [juniper, birch, rowan])

    # -- 1. From the home page she searches for "masage", typo and all. ---------------------------
    page.goto("/")
    expect(page.get_by_role("heading", name="Browse by category")).to_be_visible()
    hero = page.get_by_role("search", name="Venues")
    hero.get_by_role("combobox").fill("masage")
    hero.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search\?q=masage$"))
    results = page.get_by_role("list", name="Venues", exact=True)
    for listing in (juniper, birch, rowan):  # the nail studio offers a hand massage
        expect(results.get_by_role("link", name=listing.name)).to_be_visible()
    juniper_card = page.locator("article").filter(has=page.get_by_role("link", name=juniper.name))
    expect(juniper_card).to_contain_text("from £40")
    expect(juniper_card).to_contain_text("No reviews yet")
    expect(juniper_card).to_contain_text(re.compile(r"Next free: \w+ \d\d:\d\d"))
    expect(juniper_card.locator("img")).to_have_attribute("src", re.compile(r"^/media/"))

    # The search box suggests as she types; arrows move through the options.
    box = page.locator("#search-q")
    box.fill("")
    box.press_sequentially(f"Juniper Massage Loft {tag}"[:12], delay=30)
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox.get_by_role("option", name=juniper.name)).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", re.compile(r"^search-suggestion-\d+$"))
    box.press("Escape")
    expect(listbox).to_be_hidden()
    box.fill("masage")

    # -- 2. She narrows to massage venues, then to £25–£50: live, and the URL follows. ---------------
    # Her password manager styles a field the swap replaces, as such extensions do: htmx must not
    # carry that style over to the new field (a style attribute the CSP refuses: browser_errors).
    page.locator("#search-results input[id]").first.evaluate("(field) => { field.style.outline = '0 none'; }")
    page.get_by_role("navigation", name="Category").get_by_role("link", name=re.compile(r"^Massage")).click()
    expect(page).to_have_url(re.compile(r"/search\?q=masage&category=massage$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Massage")
    expect(results.get_by_role("link", name=rowan.name)).to_have_count(0)
    expect(results.get_by_role("link", name=birch.name)).to_be_visible()

    page.get_by_role("navigation", name="Price from").get_by_role("link", name=re.compile(r"^£25–£50")).click()
    expect(page).to_have_url(re.compile(r"/search\?q=masage&category=massage&price=2500-5000$"))
    expect(results.get_by_role("link", name=birch.name)).to_have_count(0)
    expect(results.get_by_role("link", name=juniper.name)).to_be_visible()
    expect(page.get_by_role("list", name="Filters in use")).to_contain_text("£25–£50")

    # Back and forward move through the filters, each loading its page afresh (htmx keeps no
    # snapshots: templates/base.html); a reload keeps them.
    with page.expect_event("load"):
        page.go_back()
    expect(page).to_have_url(re.compile(r"category=massage$"))
    expect(page.get_by_role("list", name="Venues", exact=True).get_by_role("link", name=birch.name)).to_be_visible()
    with page.expect_event("load"):
        page.go_forward()
    expect(page).to_have_url(re.compile(r"price=2500-5000$"))
    page.reload()
    expect(page.get_by_role("list", name="Venues", exact=True).get_by_role("link", name=birch.name)).to_have_count(0)
    expect(page.get_by_role("list", name="Venues", exact=True).get_by_role("link", name=juniper.name)).to_be_visible()

    # -- 3. "Near me" asks the browser where she is and sorts by distance from there. ----------------
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": 51.5155, "longitude": -0.1410})
    page.get_by_role("button", name="Near me").click()
    expect(page).to_have_url(re.compile(r"lat=51\.5155&lng=-0\.141&radius=10&sort=distance"))
    expect(page.locator("article").filter(has=page.get_by_role("link", name=juniper.name))).to_contain_text("0.0 km")
    expect(page.get_by_role("list", name="Filters in use")).to_contain_text("Within 10 km of your location")

    # -- 4. She switches to the map: a pin per result, and "search this area". ------------------------
    page.get_by_role("link", name="Map", exact=True).click()
    expect(page).to_have_url(re.compile(r"view=map"))
    search_map = page.get_by_role("region", name="Map of these results")
    expect(search_map).to_be_visible()
    pin = search_map.locator(f'.leaflet-marker-icon[title="{juniper.name}"]')
    expect(pin).to_be_visible()
    count = int(search_map.get_attribute("data-marker-count") or 0)
    assert count == page.locator("[data-marker]").count() >= 1
    page.get_by_role("button", name="Search this area").click()
    expect(page).to_have_url(re.compile(r"lat=5\d\.\d+&lng=-?\d+\.\d+&radius=\d+(\.\d)?&sort=distance&view=map$"))
    expect(pin).to_be_visible()
    # A filter dropped on the map, then Back: the map comes back with its pins (the page loaded
    # afresh, not htmx's snapshot of Leaflet's styled markup, which the CSP would refuse).
    page.get_by_role("list", name="Filters in use").get_by_role("link", name=re.compile(r"^£25–£50")).click()
    expect(page).not_to_have_url(re.compile(r"price="))
    expect(pin).to_be_visible()
    with page.expect_event("load"):
        page.go_back()
    expect(page).to_have_url(re.compile(r"price=2500-5000.*view=map$"))
    expect(pin).to_be_visible()

    # -- 5. The pin's popup links to the venue. -------------------------------------------------------
    # By keyboard (pins are focusable buttons): another venue's pin at the same spot may lie on top.
    pin.focus()
    pin.press("Enter")
    page.locator(".leaflet-popup").get_by_role("link", name=juniper.name).click()
    expect(page).to_have_url(re.compile(rf"/venues/{re.escape(juniper.slug)}$"))
    expect(page.get_by_role("heading", name=juniper.name, level=1)).to_be_visible()
    browser_errors.assert_none()


def test_a_refused_location_offers_the_where_field(page: Page, live_server, browser_errors):
    page.goto("/search")
    where = page.get_by_role("combobox", name="Where")
    page.context.clear_permissions()
    page.get_by_role("button", name="Near me").click()
    expect(page.get_by_role("status").filter(has_text="We couldn't use your location")).to_be_visible()
    expect(where).to_be_focused()
    where.press_sequentially("Manchest")
    expect(page.get_by_role("option", name=re.compile(r"^Manchester, England"))).to_be_visible()
    where.press("ArrowDown")
    where.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?near=Manchester%2C\+England&place=\d+$"))
    expect(page.get_by_role("list", name="Filters in use")).to_contain_text("Within 25 km of Manchester, England")
    browser_errors.assert_none()
