"""A venue owner opens Analytics, changes the period, reads a chart and the numbers behind it,
and downloads a table as CSV (issue 34)."""

from __future__ import annotations

import csv
import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import seed_venues
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "meadow-copper-lantern-2026"
ROLLUP_TIMEOUT = 150_000  # the rollup job runs every minute on the live worker; a loaded machine is slower


def test_owner_reads_analytics_for_a_period_and_downloads_a_csv(
    page: Page, live_server, unique_email, browser_errors, tmp_path
):
    tag = uuid.uuid4().hex[:6]
    owner = {"email": unique_email("analytics-owner"), "name": "Ada Numbers"}
    customer = {"email": unique_email("analytics-customer"), "name": "Cleo Visit"}
    (venue,) = seed_venues(
        live_server,
        {
            "password": PASSWORD,
            "customers": [customer],
            "venues": [
                {
                    "owner_email": owner["email"],
                    "owner_name": owner["name"],
                    "name": f"Tally Rooms {tag}",
                    "address": "8 Count Street",
                    "city": "London",
                    "postcode": "E1 1AA",
                    "country": "GB",
                    "latitude": 51.52,
                    "longitude": -0.07,
                    "timezone": "Europe/London",
                    "service": "Sports massage",
                    "price_minor": 6500,
                    "team": [],
                    "past_visits": [{"customer_email": customer["email"], "days_ago": 3}],
                }
            ],
        },
    )
    assert venue["visits"]

    e2e_sign_in(page, owner["email"], PASSWORD, "Ada")
    page.goto("/provider/analytics")
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()

    # The seeded visit shows once the rollup job (every minute, on the live worker) has counted it.
    summary = page.locator("details[data-table='summary'] table")
    bookings = summary.locator("tr").filter(has=page.get_by_role("rowheader", name="Bookings", exact=True))
    for _ in range(ROLLUP_TIMEOUT // 10_000):
        if bookings.locator("td").first.inner_text().strip() == "1":
            break
        page.wait_for_timeout(10_000)
        page.reload()
    expect(bookings.locator("td").first).to_have_text("1")
    expect(summary).to_contain_text("65.00")

    # Change the period: the last 7 days (htmx swaps the body and the URL follows).
    page.get_by_role("link", name="Last 7 days").click()
    expect(page).to_have_url(re.compile(r"[?&]preset=7\b"))
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "page")

    # A chart, named for screen readers, and the numbers behind it in a table.
    chart = page.locator("#analytics-body svg[role='img']").first
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-labelledby", re.compile(r".+"))
    daily = page.locator("details[data-table='daily']")
    daily.locator("summary").click()
    expect(daily.get_by_role("table")).to_be_visible()
    expect(daily.get_by_role("columnheader", name="Online")).to_be_visible()

    # Dates the wrong way round are refused, and a toast says why; the report stays.
    page.get_by_label("From", exact=True).fill("2026-01-31")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert").filter(has_text="The end date is before the start date.")).to_be_visible()
    expect(chart).to_be_visible()
    # That refusal is a 400 the page shows on purpose (static/js/app.js): not a browser error.
    browser_errors.console[:] = [
        (text, url) for text, url in browser_errors.console if not ("400" in text and "/provider/analytics" in url)
    ]

    # Dates chosen by hand.
    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-01-31")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-period]")).to_have_attribute("data-period", "2026-01-01/2026-01-31")
    page.get_by_role("link", name="Last 30 days").click()
    expect(page).to_have_url(re.compile(r"[?&]preset=30\b"))

    # The daily table as CSV: the browser downloads a file with the visit's day in it.
    daily = page.locator("details[data-table='daily']")
    daily.locator("summary").click()
    with page.expect_download() as download_info:
        daily.get_by_role("link", name=re.compile("CSV")).click()
    target = tmp_path / "daily.csv"
    download_info.value.save_as(target)
    rows = list(csv.reader(target.open(encoding="utf-8-sig")))
    assert rows[0][:2] == ["Day", "Online"]
    assert sum(int(r[1]) + int(r[2]) + int(r[3]) for r in rows[1:]) == 1
    browser_errors.assert_none()
