"""A customer books at two venues in one cart, confirms, both providers see it, and she cancels one."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from functools import cached_property
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from playwright.sync_api import Page, expect

from e2e.conftest import MAIL_SEPARATOR, seed_venues, watch
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "meadow-copper-lantern-2026"
DAYS_AHEAD = 4  # well inside the 90 days ahead, well outside the 24-hour free cancellation window


@dataclass
class Venue:
    name: str
    owner_email: str
    owner_name: str
    timezone: str
    service: str
    price: str
    price_minor: int
    hour: int  # the local time the customer books
    team: list[str]
    city: str
    address: str
    postcode: str
    country: str
    latitude: float
    longitude: float
    slug: str = ""
    service_id: int = 0

    @cached_property
    def day(self) -> date:
        """The day she books: a few days ahead in the venue's own time zone (fixed once asked)."""
        return datetime.now(ZoneInfo(self.timezone)).date() + timedelta(days=DAYS_AHEAD)

    @property
    def starts(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, self.hour, tzinfo=ZoneInfo(self.timezone))

    @property
    def when(self) -> str:
        """The start as the cart, order and booking pages show it: ``Thu 26 Nov 2026, 11:00``."""
        return format_datetime(self.starts, "EEE d MMM yyyy, HH:mm", locale="en_GB")

    @property
    def time_range(self) -> str:
        return f"{self.hour:02d}:00–{self.hour + 1:02d}:00"


def set_up(live_server, customer: dict, venues: list[Venue]) -> None:
    """Create the customer, the owners and their approved venues; fill in slugs and service ids."""
    spec = {
        "password": PASSWORD,
        "customers": [customer],
        "venues": [asdict(v) for v in venues],
    }
    made = seed_venues(live_server, spec)
    for venue, ids in zip(venues, made, strict=True):
        venue.slug, venue.service_id = ids["slug"], ids["service_id"]


def raw_email(live_server, address: str, subject_starts: str) -> EmailMessage:
    """The whole MIME message (attachments included) the worker wrote for ``address``; newest first."""
    found = []
    for path in sorted(live_server.mail_dir.glob("*.log"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
        for raw in MAIL_SEPARATOR.split(path.read_bytes())[:-1]:
            if raw.strip():
                message = email.message_from_bytes(raw, policy=email.policy.default)
                if address.lower() in str(message["To"]).lower() and str(message["Subject"]).strip().startswith(
                    subject_starts
                ):
                    found.append(message)
    assert found, f"no email {subject_starts!r} to {address}"
    return found[-1]


def sign_in(page: Page, address: str, first_name: str) -> None:
    e2e_sign_in(page, address, PASSWORD, first_name)


def add_to_cart(page: Page, venue: Venue, cart_count: int) -> None:
    """From the venue's page: Book, a day, a time, anyone, one person, Add to cart."""
    page.goto(f"/venues/{venue.slug}")
    expect(page.get_by_role("heading", name=venue.name, level=1)).to_be_visible()
    # The link's name is "Book: <service>" (Chromium puts a space before the visually hidden part).
    services = page.get_by_role("region", name="Services")
    services.get_by_role("link", name=re.compile(rf"^Book ?: {re.escape(venue.service)}$")).click()
    expect(page.get_by_role("heading", name=f"Book {venue.service}")).to_be_visible()

    day = venue.day
    calendar = page.locator("#booking-calendar")
    if day.month != datetime.now(ZoneInfo(venue.timezone)).month:
        calendar.get_by_role("link", name="Next month").click()
    expect(calendar.get_by_role("heading", name=f"{day:%B %Y}")).to_be_visible()
    day_name = f"{day:%A} {day.day} {day:%B %Y}"
    calendar.get_by_role("link", name=re.compile(rf"^{day_name}, \d+ times? free$")).click()
    expect(page.get_by_role("heading", name=f"Times on {day_name}")).to_be_visible()
    expect(page.get_by_text(f"Times shown in {venue.timezone}")).to_be_visible()
    # The calendar marks the day whose times are listed.
    expect(calendar.get_by_role("link", name=re.compile(rf"^{day_name}"))).to_have_attribute("aria-current", "date")

    page.get_by_role("list", name="Free times").get_by_role(
        "link", name=re.compile(rf"^{venue.hour:02d}:00 ?, 1 place left$")
    ).click()
    details = page.locator("#slot-details")
    expect(
        details.get_by_role("heading", name=f"{venue.when}–{venue.hour + 1:02d}:00 ({venue.timezone})")
    ).to_be_visible()
    details.get_by_label("Team member").select_option(label="Any available")
    details.get_by_label("People").fill("1")
    details.get_by_role("button", name="Add to cart").click()
    expect(details.get_by_role("status")).to_contain_text(f"Added {venue.service} to your cart.")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=f"Cart ({cart_count})")).to_be_visible()


def pay(page: Page, total: str) -> None:
    """Pay for the held order on the Demo gateway's hosted checkout with the test card that pays."""
    page.get_by_role("button", name=f"Pay {total} securely").click()
    expect(page.get_by_role("heading", name=f"Pay {total}", level=1)).to_be_visible()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date (MM/YY)").fill(f"12/{(datetime.now(UTC).year + 2) % 100:02d}")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name=f"Pay {total}", exact=True).click()
    # The return page asks every 2 seconds until the payment has settled.
    expect(page.get_by_text("Payment received.")).to_be_visible(timeout=20_000)


def test_customer_books_two_venues_providers_see_them_and_she_cancels_one(
    page: Page, new_context, live_server, unique_email, read_email, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("booker"), "name": "Chloe Marsh"}
    spa = Venue(
        name=f"Willow Rooms {tag}",
        owner_email=unique_email("willow"),
        owner_name="Grace Willow",
        timezone="Europe/London",
        service="Deep tissue massage",
        price="£60.00",
        price_minor=6000,
        hour=11,
        team=["Amara Okafor"],
        city="London",
        address="12 Elm Street",
        postcode="SW1A 1AA",
        country="GB",
        latitude=51.5072,
        longitude=-0.1276,
    )
    sauna = Venue(
        name=f"Lumière Bains {tag}",
        owner_email=unique_email("lumiere"),
        owner_name="Hugo Bain",
        timezone="Europe/Paris",
        service="Hammam ritual",
        price="£45.00",
        price_minor=4500,
        hour=14,
        team=[],
        city="Paris",
        address="3 Rue des Bains",
        postcode="75003",
        country="FR",
        latitude=48.8634,
        longitude=2.3601,
    )
    set_up(live_server, customer, [spa, sauna])
    nav = page.get_by_role("navigation", name="Main")

    # -- 1. Chloe signs in and fills her cart at two venues. -------------------------------------
    sign_in(page, customer["email"], "Chloe")
    add_to_cart(page, spa, cart_count=1)
    add_to_cart(page, sauna, cart_count=2)

    nav.get_by_role("link", name="Cart (2)").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    for venue in (spa, sauna):
        group = page.get_by_role("region", name=venue.name)
        expect(group.get_by_role("heading", name=venue.service)).to_be_visible()
        expect(group).to_contain_text(f"{venue.when}–{venue.hour + 1:02d}:00 ({venue.timezone})")
        expect(group).to_contain_text("With: Any available · 1 × " + venue.price)
        expect(group.locator(".card-header")).to_contain_text(venue.price)  # the venue's total
    # Grouped in the order they were added, London before Paris.
    expect(page.locator("#cart section h2")).to_have_text([spa.name, sauna.name])
    summary = page.get_by_role("complementary")
    expect(summary).to_contain_text("2 items")
    expect(summary.locator("[data-cart-total]")).to_have_text("£105.00")

    # -- 2. Checkout holds both times; she pays with the Demo gateway's test card. ---------------
    summary.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    held = page.get_by_role("region", name="Held for you")
    for venue in (spa, sauna):
        item = held.get_by_role("listitem").filter(has_text=venue.name)
        expect(item).to_contain_text(f"{venue.when}–{venue.hour + 1:02d}:00 ({venue.timezone})")
        expect(item).to_contain_text("Held, waiting for payment")
    expect(held).to_contain_text(re.compile(r"Total\s*£105\.00"))
    # The countdown ticks down from the hold's 30 minutes.
    expect(page.locator("#countdown-left")).to_have_text(re.compile(r"^ — (29|30):\d\d left$"))
    pay(page, total="£105.00")
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    booked = page.get_by_role("region", name="Your bookings")
    references = {}
    for venue in (spa, sauna):
        item = booked.get_by_role("listitem").filter(has_text=venue.name)
        expect(item).to_contain_text("Confirmed")
        reference = item.get_by_role("link", name=re.compile(r"^CW-[2-9A-Z]{4}-[2-9A-Z]{4}$"))
        expect(reference).to_be_visible()
        references[venue.name] = reference.inner_text()
    expect(page.get_by_role("button", name=re.compile(r"^(Confirm booking|Pay )"))).to_have_count(0)
    browser_errors.assert_none()

    # The confirmation email names both bookings and carries a calendar file with both.
    confirmation = read_email(customer["email"], subject_contains="Booked")
    for venue in (spa, sauna):
        assert venue.name in confirmation.subject
        assert references[venue.name] in confirmation.text
    message = raw_email(live_server, customer["email"], "Booked")
    calendars = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 1, [part.get_content_type() for part in message.walk()]
    assert calendars[0].get_filename() == "cozywish-booking.ics"
    ics = calendars[0].get_content()
    if isinstance(ics, bytes):
        ics = ics.decode()
    assert ics.startswith("BEGIN:VCALENDAR") and ics.rstrip().endswith("END:VCALENDAR")
    assert ics.count("BEGIN:VEVENT") == 2
    for venue in (spa, sauna):
        assert f"UID:{references[venue.name]}@cozywish" in ics
        assert f"DTSTART:{venue.starts.astimezone(UTC):%Y%m%dT%H%M%SZ}" in ics

    # -- 3. Both are under Upcoming in My bookings. -----------------------------------------------
    nav.get_by_role("link", name="My bookings").click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    upcoming = page.locator("#bookings-list").get_by_role("listitem").filter(has=page.get_by_role("heading"))
    expect(upcoming).to_have_count(2)
    for venue in (spa, sauna):
        row = upcoming.filter(has_text=venue.name)
        expect(row).to_contain_text(f"{venue.when}–{venue.hour + 1:02d}:00 ({venue.timezone})")
        expect(row).to_contain_text(references[venue.name])
        expect(row).to_contain_text("Confirmed")
    browser_errors.assert_none()

    # -- 4. Each provider finds the booking in their own calendar. --------------------------------
    # Grace (London) steps forward day by day from today.
    grace = new_context().new_page()
    grace_errors = watch(grace)
    sign_in(grace, spa.owner_email, "Grace")
    grace.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(grace.get_by_role("heading", name="Calendar", level=1)).to_be_visible()
    for step in range(1, DAYS_AHEAD + 1):
        grace.get_by_role("link", name="Next day").click()
        shown = spa.day - timedelta(days=DAYS_AHEAD - step)
        expect(grace.locator("#cal-title")).to_have_text(f"{shown:%A} {shown.day} {shown:%B %Y}")
    expect(grace).to_have_url(re.compile(rf"[?&]date={spa.day.isoformat()}"))
    column = grace.get_by_role("list", name="Amara Okafor")  # "Any available" went to the one therapist
    event = column.get_by_role("link").filter(has_text=spa.service).filter(has_not_text="Move")  # not its Move button
    expect(event).to_contain_text(spa.time_range)
    expect(event).to_contain_text(customer["name"])
    expect(event).to_contain_text("Booked")  # confirmed, not arrived yet (the card's stage)
    event.click()
    expect(grace.get_by_role("heading", name=spa.service, level=1)).to_be_visible()
    expect(grace.locator("#booking-status")).to_have_text("Confirmed")
    expect(grace.get_by_role("definition").filter(has_text=references[spa.name])).to_be_visible()
    expect(grace.get_by_role("region", name="Customer")).to_contain_text(customer["email"])
    grace_errors.assert_none()

    # Hugo (Paris) opens the week with the ?date= link, then that day.
    hugo = new_context().new_page()
    hugo_errors = watch(hugo)
    sign_in(hugo, sauna.owner_email, "Hugo")
    hugo.goto(f"/provider/calendar?view=week&date={sauna.day.isoformat()}")
    day_heading = format_date(sauna.day, "EEE d MMM", locale="en_GB")
    week_day = hugo.get_by_role("region", name=re.compile(rf"^{day_heading}"))
    expect(week_day.get_by_role("link").filter(has_text=sauna.service).filter(has_not_text="Move")).to_contain_text(
        sauna.time_range
    )
    week_day.get_by_role("link", name=day_heading).click()
    expect(hugo.locator("#cal-title")).to_have_text(f"{sauna.day:%A} {sauna.day.day} {sauna.day:%B %Y}")
    expect(hugo.get_by_text(f"Times are in {sauna.timezone} (")).to_be_visible()
    event = hugo.get_by_role("list", name="Unassigned").get_by_role("link").filter(has_text=sauna.service)
    event = event.filter(has_not_text="Move")
    expect(event).to_contain_text(sauna.time_range)
    expect(event).to_contain_text(customer["name"])
    hugo_errors.assert_none()

    # -- 5. Chloe cancels the London booking, free of charge. -------------------------------------
    upcoming.filter(has_text=spa.name).get_by_role("link", name=spa.service, exact=True).click()
    expect(page.get_by_role("heading", name=spa.service, level=1)).to_be_visible()
    expect(page.get_by_text("Free cancellation until")).to_be_visible()
    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", name=f"Cancel {spa.service}?")).to_be_visible()
    expect(page.locator("[data-refund]")).to_have_text(spa.price)
    expect(page.get_by_text("Cancellation fee")).to_have_count(0)
    expect(page.get_by_text("You're inside the free cancellation window")).to_be_visible()
    page.get_by_role("button", name="Cancel booking").click()

    expect(page.get_by_role("status").filter(has_text=f"Cancelled. Refund due: {spa.price}")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="Cancelled by you")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel booking")).to_have_count(0)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="My bookings").click()
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text(sauna.name)
    page.get_by_role("link", name="Past").click()
    expect(page).to_have_url(re.compile(r"[?&]tab=past"))
    past = page.locator("#bookings-list").get_by_role("listitem").filter(has=page.get_by_role("heading"))
    expect(past).to_have_count(1)
    expect(past).to_contain_text(spa.name)
    expect(past).to_contain_text("Cancelled by you")
    browser_errors.assert_none()

    cancellation = read_email(customer["email"], subject_contains="Cancelled")
    assert cancellation.subject.strip() == f"Cancelled: {spa.service} at {spa.name}"
    read_email(spa.owner_email, subject_contains=f"Cancelled: {references[spa.name]}")

    # Grace's calendar now lists it under the day's cancellations.
    grace.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Calendar").click()
    expect(grace.locator("#cal-title")).to_have_text(f"{spa.day:%A} {spa.day.day} {spa.day:%B %Y}")
    cancelled = grace.get_by_role("region", name="Cancelled this day")
    expect(cancelled).to_contain_text(customer["name"])
    expect(cancelled).to_contain_text("Cancelled by the customer")
    expect(grace.get_by_role("list", name="Amara Okafor").get_by_role("link")).to_have_count(0)
    grace_errors.assert_none()
