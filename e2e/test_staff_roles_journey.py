"""Staff logins (docs/staff-roles.md): the owner invites a practitioner from the Staff page; the
practitioner accepts the emailed link with their own password, signs in to their calendar, sees
their own appointment and client, and can't open another practitioner's booking or client (404)
or the owner's money pages (403); once the owner removes them, their next page signs them out.

``forbidden`` is the "open a page I may not, and get refused" step; other journeys (clients,
messages) can reuse it with their own paths.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import ROOT, invite_staff, seed_venues, sign_in, watch

PASSWORD = "lantern-staff-harbour-2026"
NEW_PASSWORD = "quince-harbour-meadow-58"


def forbidden(page: Page, path: str, status: int) -> None:
    """Open ``path`` and check the app refuses it with ``status`` (403 not allowed for the role,
    404 not theirs to know about), showing the error page, not the data."""
    response = page.goto(path)
    assert response is not None
    assert response.status == status, f"{path}: {response.status}, expected {status}"
    expect(page.locator("main")).not_to_contain_text("Customer")


def assign_members(live_server, slug: str, assign: dict[str, str]) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-m", "e2e.staff_seed", json.dumps({"slug": slug, "assign": assign})],
        cwd=ROOT,
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"setup failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_practitioner_sees_their_own_bookings_and_no_one_elses(
    browser: Browser, live_server, unique_email, read_email
):
    tag = uuid.uuid4().hex[:6]
    owner = {"email": unique_email("owner"), "name": "Olga Owner"}
    first, second = unique_email("first"), unique_email("second")
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [{"email": first, "name": "Fay First"}, {"email": second, "name": "Sid Second"}],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Staff Rooms {tag}",
                    "address": "5 Elm Row",
                    "city": "London",
                    "postcode": "N1 2AA",
                    "country": "GB",
                    "latitude": 51.53,
                    "longitude": -0.1,
                    "timezone": "Europe/London",
                    "service": "Deep tissue massage",
                    "price_minor": 6000,
                    "team": ["Mia Hands", "Noor Stone"],
                    "upcoming": [
                        {"customer_email": first, "days_ahead": 2},
                        {"customer_email": second, "days_ahead": 3},
                    ],
                }
            ],
        },
    )
    mine, theirs = venue["upcoming"]
    ids = assign_members(live_server, venue["slug"], {mine: "Mia Hands", theirs: "Noor Stone"})

    owner_context = browser.new_context(base_url=live_server.url)
    owner_page = owner_context.new_page()
    owner_errors = watch(owner_page)
    sign_in(owner_page, owner["email"], PASSWORD, "Olga")

    # The owner invites Mia as a practitioner from the Staff page.
    owner_page.goto("/provider/calendar")
    owner_page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    expect(owner_page.get_by_role("heading", level=1, name="Staff")).to_be_visible()
    expect(owner_page.get_by_text("No staff yet.")).to_be_visible()
    mia_email = unique_email("mia")
    mia = invite_staff(
        owner_page,
        browser,
        live_server,
        read_email,
        email=mia_email,
        role="practitioner",
        member="Mia Hands",
        name="Mia Hands",
        password=NEW_PASSWORD,
    )
    expect(owner_page.locator("[data-staff]")).to_contain_text("Invited")
    mia_context = mia.context
    mia_errors = watch(mia)
    sign_in(mia, mia_email, NEW_PASSWORD, "Mia")
    expect(mia).to_have_url(f"{live_server.url}/provider/calendar")
    nav = mia.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Calendar")).to_be_visible()
    for hidden in ("My venue", "Earnings", "Payouts", "Staff", "Check in"):
        expect(nav.get_by_role("link", name=hidden)).to_have_count(0)

    # Her own booking opens; the other practitioner's is not found, and money pages are refused.
    mia.goto(f"/provider/bookings/{ids[mine]}")
    expect(mia.locator("#booking-panel")).to_contain_text(mine)
    forbidden(mia, f"/provider/bookings/{ids[theirs]}", 404)
    # Her own client's card opens; the other practitioner's client is not found.
    mia.goto(f"/provider/clients/{ids['client:' + mine]}")
    expect(mia.get_by_role("heading", level=1, name="Fay First")).to_be_visible()
    forbidden(mia, f"/provider/clients/{ids['client:' + theirs]}", 404)
    forbidden(mia, "/provider/payouts", 403)
    forbidden(mia, "/provider/staff", 403)

    # The owner removes her: her next page asks her to sign in again.
    owner_page.goto("/provider/staff")
    owner_page.get_by_role("button", name=f"Remove {mia_email}").click()
    expect(owner_page.get_by_text(f"{mia_email} is removed and signed out everywhere.")).to_be_visible()
    # Other workers see her sessions end within CACHE_VERSION_TTL (1 s; app/platform/cache_versions.py); in
    # that second the guard already refuses her (her place at the venue is gone), so try for 5 s.
    signed_out = re.compile(r"/account/sign-in\?next=(/|%2F)provider(/|%2F)calendar$")
    for _attempt in range(10):
        mia.goto("/provider/calendar")
        if signed_out.search(mia.url):
            break
        mia.wait_for_timeout(500)
    expect(mia).to_have_url(signed_out)

    owner_errors.assert_none()
    # Mia's only browser errors are the refusals the journey asked for.
    assert all(("404" in m or "403" in m) for m in mia_errors.messages), mia_errors.messages
    owner_context.close()
    mia_context.close()
