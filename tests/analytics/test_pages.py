"""The analytics pages and their CSV: who sees what, bad periods, unknown tables, HTMX."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from app.venues.models import StaffRole
from tests.analytics.world import add_booking, at, build, refresh
from tests.venues.staff_world import make_staff

PAGE = "/provider/analytics"
CSV = "/provider/analytics.csv"


@pytest.fixture
def world(ctx, make_user):
    world = build(make_user)
    day = world.today - timedelta(days=1)
    add_booking(world, at(day, 10), member=world.first, price=6000)
    add_booking(world, at(day, 12), member=world.second, price=9000, channel="desk")
    refresh()
    world.people = {
        "owner": world.venue.owner,
        "manager": make_staff(make_user, world.venue, StaffRole.MANAGER),
        "receptionist": make_staff(make_user, world.venue, StaffRole.RECEPTIONIST),
        "practitioner": make_staff(make_user, world.venue, StaffRole.PRACTITIONER, member_id=world.first.id),
    }
    return world


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize(("role", "money"), [("owner", True), ("manager", True), ("receptionist", False)])
def test_owner_and_manager_see_money_the_receptionist_counts_only(web, world, role, money):
    web.sign_in_as(world.people[role])
    response = web.client.get(PAGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("£150.00" in html) is money  # the gross of both bookings
    assert 'role="img"' in html and "<details" in html  # a chart, and its numbers
    summary = _csv_rows(web.client.get(CSV + "?table=summary"))
    figures = [row[0] for row in summary]
    assert ("Gross" in figures) is money
    assert summary[1][:2] == ["Bookings", "2"]


def test_a_practitioner_sees_only_their_own_bookings(web, world):
    web.sign_in_as(world.people["practitioner"])
    html = web.client.get(PAGE).get_data(as_text=True)
    assert "Your own bookings only." in html
    members = _csv_rows(web.client.get(CSV + "?table=members"))
    assert [row[0] for row in members[1:]] == [world.first.name]
    summary = {row[0]: row[1] for row in _csv_rows(web.client.get(CSV + "?table=summary"))}
    assert summary["Bookings"] == "1" and "Gross" not in summary


def test_customers_and_signed_out_visitors_are_kept_out(web, world, customer):
    assert web.client.get(PAGE).status_code in (302, 303)
    web.sign_in_as(customer)
    assert web.client.get(PAGE).status_code == 403
    assert web.client.get(CSV + "?table=summary").status_code == 403
    assert web.client.get("/admin/analytics").status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("preset=14", "last 7, 30 or 90 days"),
        ("from=2026-02-30&to=2026-03-01", "YYYY-MM-DD"),
        ("from=2026-03-05&to=2026-03-01", "before the start"),
    ],
)
def test_a_bad_period_is_a_400_with_a_message(web, world, query, message):
    web.sign_in_as(world.people["owner"])
    response = web.client.get(f"{PAGE}?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert web.client.get(f"{CSV}?table=summary&{query}").status_code == 400


def test_every_table_exports_and_an_unknown_one_is_a_404(web, world):
    web.sign_in_as(world.people["owner"])
    for name in ("summary", "daily", "members", "hours", "clients", "services", "ratings"):
        response = web.client.get(f"{CSV}?table={name}&preset=7")
        assert response.status_code == 200, name
        assert response.headers["Content-Type"].startswith("text/csv")
        assert f"-{name}-" in response.headers["Content-Disposition"]
    assert web.client.get(f"{CSV}?table=secrets").status_code == 404
    assert web.client.get(CSV).status_code == 404
    daily = _csv_rows(web.client.get(f"{CSV}?table=daily&preset=7"))
    assert daily[0] == ["Day", "Online", "Your website", "Desk", "Gross"] and len(daily) == 8
    assert ["1", "0", "1", "150.00"] in [row[1:] for row in daily]


def test_an_export_asked_by_htmx_sends_the_browser_to_the_download(web, world):
    web.sign_in_as(world.people["owner"])
    response = web.client.get(f"{CSV}?table=daily&preset=30", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"{CSV}?table=daily&preset=30"


def test_the_period_form_answers_htmx_with_the_fragment_and_a_custom_range(web, world):
    web.sign_in_as(world.people["owner"])
    first, last = (world.today - timedelta(days=3)).isoformat(), world.today.isoformat()
    response = web.client.get(f"{PAGE}?from={first}&to={last}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="analytics-body">')
    assert f'data-period="{first}/{last}"' in html


def test_the_page_speaks_spanish(web, world):
    web.sign_in_as(world.people["owner"])
    web.client.set_cookie("lang", "es")
    html = web.client.get(PAGE, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Analíticas" in html and "Reservas por día" in html


def test_the_nav_links_to_analytics_for_each_role_that_may_open_it(web, world, admin):
    web.sign_in_as(world.people["practitioner"])
    assert 'href="/provider/analytics"' in web.client.get(PAGE).get_data(as_text=True)
    web.sign_in_as(admin)
    html = web.client.get("/admin/analytics").get_data(as_text=True)
    assert 'href="/admin/analytics"' in html


def test_the_tables_that_scroll_sideways_can_be_reached_and_named_by_keyboard(web, world):
    """At phone size the hour grid and a wide table scroll sideways inside their box: each box is a
    named region in the tab order, so a keyboard can scroll it (axe: scrollable-region-focusable)."""
    web.sign_in_as(world.people["owner"])
    html = web.client.get(PAGE).get_data(as_text=True)
    boxes = re.findall(r'<div class="table-responsive"[^>]*>', html)
    assert boxes and all('tabindex="0"' in box and 'role="region"' in box for box in boxes), boxes
    assert '<div class="table-responsive" tabindex="0" role="region" aria-labelledby="hours-heading">' in html
    assert all('aria-label="' in box or "aria-labelledby" in box for box in boxes)
