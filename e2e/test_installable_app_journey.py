"""The installable app (docs/installable-app.md): a customer opens a booking, the service worker
keeps it, the browser goes offline, and the booking opens again with its reference and QR code;
any other page shows the offline page; signing out deletes the kept copies. Also the offline
pages at desktop and phone sizes, light and dark (screenshots under the test's output folder)."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, Playwright, expect

from e2e.conftest import CHROMIUM_ARGS, seed_venues, sign_in, watch

PASSWORD = "lantern-offline-harbour-2026"
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}

# Every response the page's own booking copies are kept under (static/js/service-worker.js).
KEPT_PAGES = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith("cozywish-bookings-")) continue;
    const cache = await caches.open(name);
    for (const request of await cache.keys()) found.push(new URL(request.url).pathname);
  }
  return found;
}"""


def a_customer_with_a_booking(live_server, unique_email) -> tuple[dict, str]:
    tag = uuid.uuid4().hex[:6]
    customer = {"email": unique_email("offline"), "name": "Olive Offline"}
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": unique_email("owner"),
                    "owner_name": "Oona Owner",
                    "name": f"Quiet Rooms {tag}",
                    "address": "9 Harbour Row",
                    "city": "London",
                    "postcode": "E1 1AA",
                    "country": "GB",
                    "latitude": 51.51,
                    "longitude": -0.07,
                    "timezone": "Europe/London",
                    "service": "Deep tissue massage",
                    "price_minor": 6500,
                    "team": [],
                    "upcoming": [{"customer_email": customer["email"], "days_ahead": 3}],
                }
            ],
        },
    )
    (reference,) = venue["upcoming"]
    return customer, reference


def wait_for_the_worker(page: Page) -> None:
    """The service worker is active and controls this tab. (Polled from here: wait_for_function
    evaluates a string inside the page, which the page's CSP refuses.)"""
    for _ in range(80):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            return
        page.wait_for_timeout(250)
    raise AssertionError("no service worker controls the page after 20 seconds")


def wait_for_copies(page: Page, *paths: str) -> None:
    for _ in range(80):
        if set(paths) <= set(page.evaluate(KEPT_PAGES)):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the worker kept {page.evaluate(KEPT_PAGES)}, not {paths}")


def wait_for_no_copies(page: Page) -> None:
    for _ in range(40):
        if page.evaluate(KEPT_PAGES) == []:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the worker still keeps {page.evaluate(KEPT_PAGES)}")


def test_a_booking_seen_once_opens_offline_with_its_code_and_signing_out_forgets_it(
    page: Page, live_server, unique_email
):
    customer, reference = a_customer_with_a_booking(live_server, unique_email)
    booking_path = f"/bookings/{reference}"
    sign_in(page, customer["email"], PASSWORD, "Olive")

    page.goto(booking_path)  # perhaps before the worker controls the tab: pwa.js asks it to keep a copy
    expect(page.get_by_role("heading", name="Deep tissue massage")).to_be_visible()
    wait_for_the_worker(page)
    page.goto("/bookings")  # controlled: the worker keeps what the network answers
    expect(page.get_by_text(reference).first).to_be_visible()
    wait_for_copies(page, booking_path, "/bookings")

    page.context.set_offline(True)
    page.goto(booking_path)

    expect(page.get_by_role("status").filter(has_text="You're offline; this copy is from")).to_be_visible()
    expect(page.get_by_role("heading", name="Deep tissue massage")).to_be_visible()
    expect(page.locator(".breadcrumb")).to_contain_text(reference)
    code = page.get_by_role("img", name=f"QR code of booking reference {reference}")
    expect(code).to_be_visible()
    expect(code.locator("svg")).to_be_visible()

    page.reload()
    expect(page.get_by_role("img", name=f"QR code of booking reference {reference}")).to_be_visible()

    page.get_by_role("link", name="My bookings").first.click()
    expect(page).to_have_url(f"{live_server.url}/bookings")
    expect(page.get_by_text(reference).first).to_be_visible()
    expect(page.locator("#offline-copy-banner")).to_be_visible()

    page.goto("/account/profile")  # never kept: the offline page, in the page's own address
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    expect(page.get_by_role("link", name="My bookings")).to_have_attribute("href", "/bookings")
    page.get_by_role("link", name="My bookings").click()
    expect(page.locator(".breadcrumb, #main").first).to_contain_text("My bookings")

    # Back online, signing out deletes the copies: offline again, the booking is not there.
    page.context.set_offline(False)
    page.goto("/bookings")
    expect(page.locator("#offline-copy-banner")).to_have_count(0)
    page.locator("nav .dropdown-toggle").filter(has_text="Olive").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status").filter(has_text="You are signed out")).to_be_visible()
    wait_for_no_copies(page)  # Clear-Site-Data "cache" leaves Cache Storage alone: the worker does this

    page.context.set_offline(True)
    page.goto(booking_path)
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    expect(page.get_by_text(reference)).to_have_count(0)
    page.context.set_offline(False)

    # A session that ends without the sign-out button (idle timeout, "sign out everywhere" on
    # another device): the next page asks to sign in, and the worker deletes the copies then.
    sign_in(page, customer["email"], PASSWORD, "Olive")
    page.goto(booking_path)
    wait_for_copies(page, booking_path)
    page.context.clear_cookies()
    page.goto("/bookings")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    wait_for_no_copies(page)


def test_the_offline_pages_at_desktop_and_phone_sizes_in_light_and_dark(
    page: Page, live_server, unique_email, tmp_path: Path
):
    customer, reference = a_customer_with_a_booking(live_server, unique_email)
    sign_in(page, customer["email"], PASSWORD, "Olive")
    wait_for_the_worker(page)
    page.goto(f"/bookings/{reference}")
    wait_for_copies(page, f"/bookings/{reference}")

    page.context.set_offline(True)
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.goto(f"/bookings/{reference}")
            expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
            expect(page.locator("#offline-copy-banner")).to_be_visible()
            expect(page.get_by_role("img", name=f"QR code of booking reference {reference}")).to_be_visible()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], f"{size_name} {scheme}: the booking copy scrolls sideways ({width}px)"
            page.screenshot(path=tmp_path / f"booking-copy-{size_name}-{scheme}.png", full_page=True)

            page.goto("/saved")
            expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], f"{size_name} {scheme}: the offline page scrolls sideways ({width}px)"
            page.screenshot(path=tmp_path / f"offline-page-{size_name}-{scheme}.png", full_page=True)
    page.context.set_offline(False)
    print(f"screenshots: {tmp_path}")


def test_chromium_finds_the_app_installable(playwright: Playwright, live_server, tmp_path: Path):
    """Chromium's own verdict (the DevTools protocol's Page.getInstallabilityErrors: none), in a
    profile on disk: Chromium never offers to install from an incognito window, which Playwright's
    ordinary contexts are. scripts/check_installable.py asks the same, and Lighthouse 11's audits."""
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "profile", executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, base_url=live_server.url
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        errors = watch(page)
        page.goto("/")
        wait_for_the_worker(page)
        session = context.new_cdp_session(page)

        assert session.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = session.send("Page.getAppManifest")
        assert manifest["url"] == f"{live_server.url}/manifest.webmanifest"
        assert manifest.get("errors", []) == []
        errors.assert_none()
    finally:
        context.close()
