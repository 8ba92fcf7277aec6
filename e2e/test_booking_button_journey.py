"""The booking button: the owner registers their website and copies the snippet; a page on another
local origin (a plain http.server) carries it; a customer clicks "Book now", picks a time in the
framed panel, finishes in the CozyWish tab it opens (sign-in, cart, checkout, the Demo gateway),
and the order is the venue's own channel with no commission."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import uuid
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import Page, expect

from e2e.conftest import ROOT, seed_venues
from e2e.conftest import sign_in as e2e_sign_in
from e2e.test_booking_journey import PASSWORD, pay

ORDER_QUERY = """
import json, sys
from sqlalchemy import select
from app import create_app
from app.accounts.models import User
from app.booking.models import Order
from app.platform.extensions import db
from app.payouts.shares import venue_shares
app = create_app()
with app.app_context():
    user = db.session.scalar(select(User).where(User.email == sys.argv[1]))
    order = db.session.scalars(select(Order).where(Order.customer_id == user.id)).one()
    share = venue_shares(order)[0]
    print(json.dumps({"status": order.status, "channel": order.channel, "commission": share.commission_minor,
                      "gross": share.gross_minor}))
"""


def the_order(live_server, email: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", ORDER_QUERY, email],
        cwd=ROOT,
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def serve_site(directory) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(directory)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_booking_made_on_the_venues_own_site_carries_no_commission(
    page: Page, new_context, live_server, unique_email, tmp_path, browser_errors
):
    tag = uuid.uuid4().hex[:6]
    owner_email, customer_email = unique_email("owner"), unique_email("guest")
    (made,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [{"email": customer_email, "name": "Nora Guest"}],
            "venues": [
                {
                    "name": f"Juniper Rooms {tag}",
                    "owner_email": owner_email,
                    "owner_name": "Ivy Juniper",
                    "timezone": "Europe/London",
                    "service": "Hot stone massage",
                    "price_minor": 7000,
                    "team": [],
                    "city": "London",
                    "address": "4 Fern Lane",
                    "postcode": "SW1A 1AA",
                    "country": "GB",
                    "latitude": 51.5072,
                    "longitude": -0.1276,
                }
            ],
        },
    )
    site = serve_site(tmp_path)
    site_origin = f"http://127.0.0.1:{site.server_address[1]}"
    try:
        # -- 1. The owner registers the website and copies the snippet. ------------------------------
        e2e_sign_in(page, owner_email, PASSWORD, "Ivy")
        page.goto("/provider/booking-button")
        # An address that isn't a website is refused beside the field (the panel is swapped in).
        page.get_by_label(re.compile("^Website addresses")).fill("ftp://juniper.example")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#site-origins-feedback")).to_contain_text("a website address starts with https://")
        # That refusal is a 422 the page shows on purpose: not a browser error.
        browser_errors.console[:] = [
            (text, url) for text, url in browser_errors.console if not ("422" in text and "/booking-button" in url)
        ]
        page.get_by_label(re.compile("^Website addresses")).fill(site_origin)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_label(re.compile("^Website addresses"))).to_have_value(site_origin)
        snippet = page.locator("[data-snippet]").input_value()
        assert f'data-cozywish-venue="{made["slug"]}"' in snippet and "<noscript>" in snippet
        (tmp_path / "index.html").write_text(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Juniper Rooms</title>"
            "<link rel='icon' href='data:,'></head>"  # no /favicon.ico to 404 on the plain server
            f"<body><h1>Welcome to Juniper Rooms</h1><p>Treat yourself.</p>{snippet}</body></html>"
        )

        # -- 2. A customer, signed in to CozyWish, visits the venue's own site. --------------------
        context = new_context()
        guest = context.new_page()
        e2e_sign_in(guest, customer_email, PASSWORD, "Nora")
        guest.goto(f"{site_origin}/index.html")
        expect(guest.get_by_role("heading", name="Welcome to Juniper Rooms")).to_be_visible()
        guest.get_by_role("button", name="Book now").click()
        dialog = guest.get_by_role("dialog", name="Book now")
        expect(dialog).to_be_visible()
        panel = guest.frame_locator("iframe.cozywish-panel")
        expect(panel.get_by_role("heading", name=f"Book at Juniper Rooms {tag}")).to_be_visible(timeout=20_000)
        panel.get_by_role("link", name=re.compile("^Choose a time")).click()
        expect(panel.get_by_role("heading", name="Hot stone massage")).to_be_visible()
        with context.expect_page() as opened:
            panel.locator("[data-embed-slot]").first.click()
        tab = opened.value
        tab.wait_for_load_state()

        # -- 3. The CozyWish tab: add to the cart, check out, pay with the demo card. --------------
        expect(tab.get_by_role("heading", name=f"Book at Juniper Rooms {tag}")).to_be_visible()
        tab.get_by_role("button", name="Add to cart and check out").click()
        expect(tab.get_by_role("heading", name="Your cart")).to_be_visible()
        tab.get_by_role("complementary").get_by_role("button", name="Check out").click()
        expect(tab.get_by_role("heading", name="Confirm your booking")).to_be_visible()
        pay(tab, total="£70.00")
        expect(tab.get_by_role("heading", name="You're booked")).to_be_visible()

        # -- 4. The order is the venue's own channel, with no commission. -------------------------
        order = the_order(live_server, customer_email)
        assert order == {"status": "paid", "channel": "venue_site", "commission": 0, "gross": 7000}
        # Back on the venue's page, Escape closes the panel (from the page's own focus: a key
        # pressed inside the frame stays in the frame) and focus returns to the button.
        guest.bring_to_front()
        dialog.get_by_role("button", name="Close").focus()
        guest.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(guest.get_by_role("button", name="Book now")).to_be_focused()
    finally:
        site.shutdown()
        site.server_close()
