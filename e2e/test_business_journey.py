"""The business screens of issue 48 in a real browser: the owner of Rowan Rooms pauses new
bookings with a note, a customer sees the notice and no "Book now", the owner reopens and the
button is back; the owner opens Earnings → Invoices and statements (last month's invoice and
statement, issued by `flask invoices issue`) and a team member's calendar sync page, where a bad
address is refused with a clear message; an admin looks at Operations → Invoices, turns
maintenance mode on from Operations → Maintenance mode, a visitor gets the 503 page with the
message, the admin sees the banner and turns it off. The new screens are looked at at 1366x900
and 390x844, light and dark (screenshots in /tmp/cozywish-screens/business, not kept).

The live server runs gunicorn with 3 workers, each reading the maintenance switch at most every
5 seconds (docs/maintenance-mode.md): the admin's own worker sees a switch at once, the others
within 5 seconds, so the journey waits for what a person would see instead of assuming one
process."""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible, reload_until_visible, run_seed, seed_venues, sign_in, watch
from e2e.screens import shoot
from e2e.seed import ADMIN_TOTP_SECRET

PASSWORD = "rowan-lantern-harbour-2026"
NOTE = "We are refitting the treatment rooms."
MAINTENANCE = "We are moving to a bigger database. Back soon."
SWITCH_SECONDS = 5.5  # every web process has read the switch again (MAINTENANCE_CHECK_SECONDS + a margin)


def status_until(page: Page, path: str, wanted: int, seconds: float = 10) -> None:
    """Open ``path`` until it answers ``wanted`` (another web process may not have read the
    maintenance switch yet)."""
    deadline = time.monotonic() + seconds
    while True:
        status = page.goto(path).status
        if status == wanted or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    assert status == wanted, f"{path} answered {status}, not {wanted}, after {seconds:.0f}s"


def test_owner_pauses_admin_runs_maintenance_and_the_new_business_screens_render(
    page: Page, new_context, live_server, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    owner = {"email": f"owner-{tag}@example.com", "name": "Rhea Rowan"}
    customer = {"email": f"cora-{tag}@example.com", "name": "Cora Lind"}
    admin = {"email": f"admin-{tag}@example.com", "name": "Ada Quinn"}
    venue_name = f"Rowan Rooms {tag}"
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "admins": [admin],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": venue_name,
                    "address": "7 Rowan Walk",
                    "city": "York",
                    "postcode": "YO1 7HH",
                    "country": "GB",
                    "latitude": 53.96,
                    "longitude": -1.08,
                    "timezone": "Europe/London",
                    "service": "Deep tissue massage",
                    "price_minor": 6500,
                    "team": ["Amara Okafor"],
                    "past_visits": [{"customer_email": customer["email"], "days_ago": 2}],
                }
            ],
        },
    )

    # Cora's visit, paid last month, and that month's documents, issued as on the 1st.
    paid = run_seed(live_server, "e2e.invoice_seed", {"slug": venue["slug"]})
    live_server.flask("invoices", "issue", "--month", paid["month"])

    # -- 1. The owner pauses new bookings with a note; a customer sees the notice, no "Book now". --
    sign_in(page, owner["email"], PASSWORD, "Rhea")
    page.goto("/provider")
    page.get_by_role("link", name="Pause or close your venue").click()
    expect(page.get_by_role("heading", name="Pause or close your venue", level=1)).to_be_visible()
    page.get_by_label("A note for customers (optional)").fill(NOTE)
    assert_accessible(page, "main")
    shoot(page, "business", "pause")
    page.get_by_role("button", name="Pause new bookings").click()
    paused = page.locator("[data-paused]")
    expect(paused).to_contain_text(NOTE)
    expect(page.get_by_role("button", name="Take bookings again now")).to_be_visible()

    customer_page = new_context().new_page()
    sign_in(customer_page, customer["email"], PASSWORD, "Cora")
    customer_page.goto(f"/venues/{venue['slug']}")
    notice = customer_page.locator("#services [data-paused]")
    expect(notice).to_contain_text("not taking new bookings")
    expect(notice).to_contain_text(NOTE)
    expect(customer_page.get_by_role("link", name="Book now")).to_have_count(0)
    assert_accessible(customer_page, "main")
    shoot(customer_page, "business", "paused-venue")

    page.get_by_role("button", name="Take bookings again now").click()
    expect(page.get_by_role("status").filter(has_text="Your venue is taking bookings again.")).to_be_visible()
    # Another person's change (the owner's): on every worker within a second.
    reload_until_visible(customer_page, customer_page.get_by_role("link", name="Book now").first, seconds=5)
    expect(customer_page.locator("[data-paused]")).to_have_count(0)
    customer_page.context.close()  # she leaves (her bell's poll would meet the maintenance below)

    # -- 2. The owner's invoices: last month's commission invoice and statement, as PDFs. ----------
    page.goto("/provider/earnings")
    page.get_by_role("link", name="Invoices and statements").click()
    expect(page.get_by_role("heading", name="Invoices and statements", level=1)).to_be_visible()
    year = paid["month"][:4]
    expect(page.locator(f"[data-document^='CW-INV-{year}-']")).to_have_count(1)
    expect(page.locator(f"[data-document^='CW-STM-{year}-']")).to_have_count(1)
    assert_accessible(page, "main")
    shoot(page, "business", "invoices")
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone the PDF buttons are in view, no scrolling
    pdf = page.get_by_role("link", name="PDF").first.bounding_box()
    assert pdf and pdf["x"] + pdf["width"] <= 390, f"the PDF button is off screen at 390 px: {pdf}"
    page.set_viewport_size({"width": 1366, "height": 900})
    with page.expect_download() as download:
        page.locator(f"[data-document^='CW-INV-{year}-']").get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename.endswith(".pdf"), download.value.suggested_filename

    # -- 3. Amara's calendar sync, from her schedule page: a bad address is refused. --------------
    page.goto("/provider/venue/team")
    page.get_by_role("link", name="Schedule of Amara Okafor").click()
    page.get_by_role("link", name="Sync with Amara Okafor's own calendar").click()
    expect(page.get_by_role("heading", name="Amara Okafor's calendar sync", level=1)).to_be_visible()
    page.get_by_label("CalDAV address").fill("calendar.example.com/amara")
    page.get_by_label("Username").fill("amara")
    page.get_by_label("Password").fill("app-password")
    page.keyboard.press("Tab")  # from the last field to the button, and submit from the keyboard
    expect(page.get_by_role("button", name="Test and save")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Enter the calendar's address, starting with https://.")
    expect(page.locator("[data-sync-status]")).to_contain_text("Not connected.")
    assert_accessible(page, "main")
    shoot(page, "business", "calendar-sync-error")
    browser_errors.console[:] = [
        (text, url) for text, url in browser_errors.console if not ("422" in text and "/calendar-sync" in url)
    ]
    browser_errors.assert_none()

    # -- 4. Maintenance mode, from Admin → Operations; a visitor gets the 503 page. ---------------
    admin_page = new_context().new_page()
    sign_in(admin_page, admin["email"], PASSWORD, "Ada", totp_secret=ADMIN_TOTP_SECRET)
    admin_page.goto("/admin")
    operations = admin_page.get_by_role("navigation", name="Main").get_by_role("button", name="Operations")
    operations.click()
    admin_page.get_by_role("link", name="Invoices", exact=True).click()
    expect(admin_page.get_by_role("heading", name="Venue invoices", level=1)).to_be_visible()
    invoice = admin_page.locator(f"[data-document^='CW-INV-{year}-']").filter(has_text=venue_name)
    expect(invoice.get_by_label("Reason")).to_be_visible()  # the credit note form under the invoice
    assert_accessible(admin_page, "main")
    shoot(admin_page, "business", "admin-invoices")
    operations.click()
    admin_page.get_by_role("link", name="Maintenance mode").click()
    expect(admin_page.get_by_role("heading", name="Maintenance mode", level=1)).to_be_visible()
    admin_page.get_by_label("Message for visitors").fill(MAINTENANCE)
    visitor = new_context(color_scheme="dark").new_page()
    visitor_errors = watch(visitor)
    switched, off = time.monotonic(), False
    try:
        admin_page.get_by_role("button", name="Turn maintenance mode on").click()
        switched = time.monotonic()
        expect(
            admin_page.get_by_role("status").filter(
                has_text="Maintenance mode is on: visitors see the maintenance page."
            )
        ).to_be_visible()

        status_until(visitor, "/", 503)
        expect(visitor.get_by_role("heading", name="Down for maintenance", level=1)).to_be_visible()
        expect(visitor.locator("[data-maintenance-message]")).to_have_text(MAINTENANCE)
        expect(visitor.get_by_role("link", name="Staff sign-in")).to_be_visible()
        expect(visitor.locator("html")).to_have_attribute("data-bs-theme", "dark")  # the visitor's own theme
        assert_accessible(visitor, "main")
        shoot(visitor, "business", "maintenance-503")

        admin_page.goto("/admin/maintenance")
        # The form reads the switch itself; the banner is the serving process's copy (up to 5 s old).
        reload_until_visible(admin_page, admin_page.locator("#maintenance-banner"))
        expect(admin_page.locator("#maintenance-banner")).to_contain_text("Maintenance mode is on")
        expect(admin_page.get_by_role("button", name="Turn maintenance mode off")).to_be_visible()
        assert_accessible(admin_page, "main")
        shoot(admin_page, "business", "admin-maintenance")
        admin_page.get_by_role("button", name="Turn maintenance mode off").click()
        switched, off = time.monotonic(), True
        expect(
            admin_page.get_by_role("status").filter(has_text="Maintenance mode is off: the site is open again.")
        ).to_be_visible()
        status_until(visitor, "/", 200)
        expect(visitor.get_by_role("navigation", name="Main")).to_be_visible()
    finally:
        # Never leave the server in maintenance for the next journey, whatever failed above.
        if not off:
            live_server.flask("maintenance", "off")
            switched = time.monotonic()
        # Every web process has read the switch before the next journey on this server starts.
        time.sleep(max(0.0, SWITCH_SECONDS - (time.monotonic() - switched)))
    visitor_errors.console[:] = [
        (text, url)
        for text, url in visitor_errors.console
        # the 503 page itself, and the service worker's update check (registered by a page served
        # just before this process read the switch) meeting it
        if not re.search(r"status of 503\b|response code \(503\)", text)
    ]
    # The owner's tab stayed open on the calendar sync page: its bell's poll got 503s meanwhile.
    browser_errors.console[:] = [
        (text, url)
        for text, url in browser_errors.console
        if not ("503" in text and ("/notifications/count" in url or "/notifications/count" in text))
    ]
    browser_errors.assert_none()
