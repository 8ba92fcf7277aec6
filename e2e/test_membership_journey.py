"""A membership renewing in a real browser (issue 47, item 2): the owner of Willow Rooms makes
"Calm club", £99 a month for one hot stone massage a month and 10% off every treatment, on the
provider's pages; Nina finds it on the venue page (with the member's price under the massage),
joins with the demo card and sees it active on My memberships, month 1 paid. The month ends: the
renewal runs as the scheduled job runs it (``renew_due``, charging the card saved at joining), and
My memberships shows month 2 paid and the renewal a month later; the owner's members table shows
her active, paid until then. The plan page, My memberships (before and after the renewal) and the
owner's list are looked at at 1366x900 and 390x844, light and dark."""

from __future__ import annotations

import calendar
import re
import time
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible, run_python, seed_venues, sign_in
from e2e.screens import shoot
from e2e.test_payment_journeys import PAYS

PASSWORD = "calm-harbour-lantern-2026"
TIMEZONE = "Europe/London"
SETTLE_TIMEOUT = 45_000  # ms: the worker settles the payment (a busy CI machine: longer)
ACTIVE = re.compile(r"^Active, renews on (\d{1,2} \w+ \d{4})$")

# The end of the month, as the scheduled job meets it (``memberships.renew_due``): every
# membership whose month is over is renewed, charging the Demo card saved when it was joined.
# "Now" is a minute after the customer's month ends, in the live server's database.
RENEW = """
import json, sys
from datetime import timedelta
from sqlalchemy import select
from app import create_app
from app.accounts.models import User
from app.memberships import service
from app.memberships.models import Membership
from app.platform.extensions import db
spec = json.loads(sys.argv[1])
app = create_app()
with app.test_request_context(base_url=app.config.get("BASE_URL") or None):
    customer = db.session.scalar(select(User).where(User.email == spec["email"]))
    membership = db.session.scalar(select(Membership).where(Membership.customer_id == customer.id))
    done = service.renew_due(membership.current_period_end + timedelta(minutes=1))
    db.session.commit()
    print(json.dumps({"membership_id": membership.id, "done": done}))
"""


def month_after(day: date) -> date:
    """The same day a month later (the 31st becomes the month's last day), as a month runs."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def day_text(day: date, pattern: str = "d MMM yyyy") -> str:
    return format_date(day, pattern, locale="en_GB")


def first_renewal() -> dict[str, date]:
    """The days the first month may end, as My memberships writes them: a month from today in the
    venue's time zone (or from tomorrow, should the payment settle across midnight)."""
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    return {day_text(month_after(d)): month_after(d) for d in (today, today + timedelta(days=1))}


def open_my_membership(page: Page, name: str, status: re.Pattern):
    """My memberships until the membership there reads ``status`` (the worker settles the payment
    on its own time; the page doesn't refresh itself, so reload as a customer would)."""
    held = page.locator("[data-membership]").filter(has_text=name)
    deadline = time.monotonic() + SETTLE_TIMEOUT / 1000
    while time.monotonic() < deadline:
        if held.count() and status.match(held.locator("[data-membership-status]").inner_text().strip()):
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(held.locator("[data-membership-status]")).to_have_text(status)
    return held


def test_a_membership_is_joined_and_renews_at_the_end_of_the_month(
    page: Page, new_context, live_server, unique_email, browser_errors
):
    customer = {"email": unique_email("nina"), "name": "Nina Calm"}
    owner = {"email": unique_email("owner"), "name": "Iris Willow"}
    venue_name = f"Willow Rooms {uuid.uuid4().hex[:6]}"
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": venue_name,
                    "address": "5 Willow Walk",
                    "city": "Leeds",
                    "postcode": "LS1 4AP",
                    "country": "GB",
                    "latitude": 53.8,
                    "longitude": -1.55,
                    "timezone": TIMEZONE,
                    "service": "Hot stone massage",
                    "price_minor": 8000,
                    "team": [],
                }
            ],
        },
    )

    # -- 1. The owner, on their own device, makes the membership on the provider's pages. ----------
    owner_page = new_context().new_page()
    sign_in(owner_page, owner["email"], PASSWORD, "Iris")
    owner_page.goto("/provider/memberships")
    owner_page.get_by_role("link", name="New membership").click()
    expect(owner_page.get_by_role("heading", name="New membership", level=1)).to_be_visible()
    owner_page.get_by_label("Membership name").fill("Calm club")
    owner_page.get_by_label("Price a month (£)").fill("99")
    owner_page.get_by_label("Sessions included each month").fill("1")
    owner_page.get_by_label("Sessions of").select_option(label="Hot stone massage")
    owner_page.get_by_label("Member's discount (%)").fill("10")
    owner_page.get_by_role("button", name="Create membership").click()
    expect(owner_page.get_by_text("Membership “Calm club” created.")).to_be_visible()
    offered = owner_page.locator("[data-membership-plans] tbody tr").filter(has_text="Calm club")
    expect(offered).to_contain_text("£99.00 a month")
    expect(offered).to_contain_text("1 × Hot stone massage a month")
    expect(offered).to_contain_text("10% off every treatment")
    expect(offered).to_contain_text("On sale")
    expect(owner_page.get_by_text("No members yet.")).to_be_visible()

    # -- 2. Nina finds it on the venue page, with the member's price under the massage. -------------
    sign_in(page, customer["email"], PASSWORD, "Nina")
    page.goto(f"/venues/{venue['slug']}")
    expect(page.locator("[data-member-price]")).to_have_text("£72.00 for Calm club members")
    section = page.get_by_role("region", name="Memberships")
    expect(section).to_contain_text("Calm club")
    expect(section).to_contain_text("£99.00 a month")
    expect(section).to_contain_text("1 × Hot stone massage a month")
    expect(section).to_contain_text("10% off every treatment")
    section.get_by_role("link", name=re.compile(r"^See the membership ?: Calm club$")).click()
    expect(page.get_by_role("heading", name="Calm club", level=1)).to_be_visible()
    expect(page.get_by_text(f"A membership of {venue_name}")).to_be_visible()
    expect(page.locator("[data-membership-price]")).to_have_text("£99.00 a month")
    expect(page.locator("[data-membership-benefits] li")).to_have_text(
        ["1 × Hot stone massage a month", "10% off every treatment"]
    )
    assert_accessible(page, "main")
    shoot(page, "memberships", "plan")

    # -- 3. She joins and pays the first month with the demo card; My memberships shows it active. --
    page.get_by_role("button", name="Join for £99.00 a month").click()
    expect(page.get_by_role("heading", name="Pay £99.00")).to_be_visible()
    page.get_by_label("Card number").fill(PAYS)
    page.get_by_label("Expiry date (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay £99.00").click()
    expect(page.get_by_role("heading", name="My memberships", level=1)).to_be_visible(timeout=SETTLE_TIMEOUT)
    assert page.url.endswith("/account/memberships"), page.url
    held = open_my_membership(page, "Calm club", ACTIVE)
    renews = ACTIVE.match(held.locator("[data-membership-status]").inner_text().strip()).group(1)
    candidates = first_renewal()
    assert renews in candidates, f"the first month ends on {renews!r}, not a month from today ({set(candidates)})"
    first_end = candidates[renews]
    expect(held).to_contain_text(f"at {venue_name}")
    expect(held).to_contain_text("£99.00 a month")
    expect(held.get_by_role("list", name="What Calm club gives").locator("li")).to_have_text(
        ["1 × Hot stone massage a month", "10% off every treatment"]
    )
    months = held.locator("details").filter(has=page.locator("[data-membership-months]"))
    months.locator("summary").click()
    expect(months.locator("summary")).to_have_text("1 month paid")
    rows = held.locator("[data-membership-months] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("1")
    expect(rows.first).to_contain_text(f"– {renews}")
    expect(rows.first).to_contain_text("£99.00")
    expect(rows.first.get_by_role("link", name=re.compile(r"^Receipt ?for month 1$"))).to_be_visible()
    assert_accessible(page, "main")
    shoot(page, "memberships", "mine-month-1")
    browser_errors.assert_none()

    # -- 4. The month ends: the renewal runs as the job runs it, charging the saved card. -----------
    renewed = run_python(live_server, ["-c", RENEW], {"email": customer["email"]})
    mine = f"membership {renewed['membership_id']}: month 2 paid"
    assert mine in renewed["done"], f"the renewal did {renewed['done']!r}, not {mine!r}"

    second_end = month_after(first_end)
    page.reload()
    held = open_my_membership(page, "Calm club", re.compile(rf"^Active, renews on {re.escape(day_text(second_end))}$"))
    months = held.locator("details").filter(has=page.locator("[data-membership-months]"))
    months.locator("summary").click()
    expect(months.locator("summary")).to_have_text("2 months paid")
    rows = held.locator("[data-membership-months] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("th")).to_have_text("2")  # the newest month first
    expect(rows.first.locator("td").first).to_have_text(f"{renews} – {day_text(second_end)}")
    expect(rows.first).to_contain_text("£99.00")
    expect(rows.first.get_by_role("link", name=re.compile(r"^Receipt ?for month 2$"))).to_be_visible()
    expect(rows.nth(1).locator("th")).to_have_text("1")
    assert_accessible(page, "main")
    shoot(page, "memberships", "mine-month-2")

    # -- 5. The owner's members table: Nina, active, paid until the new date. -----------------------
    owner_page.goto("/provider/memberships")
    member = owner_page.locator("[data-members] tbody tr").filter(has_text="Nina Calm")
    expect(member).to_have_count(1)
    cells = member.locator("td")
    expect(cells.nth(0)).to_have_text("Calm club")
    expect(member.locator("[data-member-status]")).to_have_text("Active")
    expect(cells.nth(3)).to_have_text(day_text(second_end, "dd MMM yyyy"))
    assert_accessible(owner_page, "main")
    shoot(owner_page, "memberships", "owner-list")
    browser_errors.assert_none()
