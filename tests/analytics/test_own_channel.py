"""The venue's own channel (its booking button, orders.channel 'venue_site') apart in the
analytics: its bookings and gross on their own rows, no commission on them, and a marketplace
order never counted there (issue 34 item 1)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.analytics.market_reports import market_report
from app.analytics.models import VenueDay
from app.analytics.periods import Period
from app.analytics.rollup import rebuild_all
from app.analytics.venue_reports import venue_report
from app.booking.models import Booking
from app.payouts.models import VenueTransfer
from app.platform.extensions import db
from app.venues.models import StaffRole
from tests.analytics.world import add_booking, at, build, refresh
from tests.venues.staff_world import make_staff

PAGE = "/provider/analytics"
CSV = "/provider/analytics.csv"


def _transfer(world, booking, bp: int, group: str) -> None:
    gross = booking.online_minor
    db.session.add(
        VenueTransfer(
            order_id=booking.order_id,
            venue_id=world.venue.id,
            funding="balance",
            gateway="demo",
            currency="GBP",
            gross_minor=gross,
            charged_minor=gross,
            commission_bp=bp,
            commission_minor=gross * bp // 10000,
            transfer_minor=gross - gross * bp // 10000,
            transfer_group=group,
        )
    )


@pytest.fixture
def world(ctx, make_user):
    world = build(make_user)
    world.day = world.today - timedelta(days=1)
    market = add_booking(world, at(world.day, 10), price=10000)
    _transfer(world, market, 1500, "market")
    site = add_booking(world, at(world.day, 12), member=world.second, price=8000, order_channel="venue_site")
    _transfer(world, site, 0, "site")
    add_booking(world, at(world.day, 14), price=3000, channel="desk")
    refresh()
    return world


def test_the_rollup_counts_own_website_bookings_apart_with_no_commission(world):
    rows = {
        row.channel: row
        for row in db.session.scalars(
            select(VenueDay).where(VenueDay.venue_id == world.venue.id, VenueDay.day == world.day)
        )
    }
    assert set(rows) == {"online", "site", "desk"}
    assert (rows["site"].bookings, rows["site"].gross_minor, rows["site"].commission_minor) == (1, 8000, 0)
    assert (rows["online"].bookings, rows["online"].gross_minor, rows["online"].commission_minor) == (1, 10000, 1500)


def test_the_report_shows_the_own_channel_apart_and_a_marketplace_order_is_not_in_it(world):
    period = Period(world.today - timedelta(days=6), world.today + timedelta(days=1), "7")
    now = venue_report(world.venue, period).current
    assert (now.online, now.site, now.desk, now.bookings) == (1, 1, 1, 3)
    assert (now.online_gross_minor, now.site_gross_minor, now.desk_gross_minor) == (10000, 8000, 3000)
    assert (now.site_commission_minor, now.commission_minor) == (0, 1500)
    daily = {d.day: d for d in venue_report(world.venue, period).daily}[world.day]
    assert (daily.online, daily.site, daily.desk) == (1, 1, 1)
    # without money (a receptionist's view) the counts stay, the money goes
    counts = venue_report(world.venue, period, with_revenue=False).current
    assert (counts.site, counts.site_gross_minor) == (1, 0)


def test_a_commission_wrongly_on_an_own_channel_transfer_is_still_not_counted(world):
    booking = add_booking(world, at(world.day, 16), price=5000, order_channel="venue_site")
    _transfer(world, booking, 1500, "wrong")
    refresh()
    row = db.session.get(VenueDay, (world.venue.id, world.day, world.first.id, "site", "GBP"))
    assert (row.bookings, row.gross_minor, row.commission_minor) == (1, 5000, 0)


def test_rebuilding_all_days_keeps_the_split(world):
    assert rebuild_all() >= 1
    db.session.expire_all()
    channels = db.session.scalars(
        select(VenueDay.channel).where(VenueDay.venue_id == world.venue.id, VenueDay.day == world.day)
    ).all()
    assert sorted(channels) == ["desk", "online", "site"]


def _csv(web, table: str) -> list[list[str]]:
    response = web.client.get(f"{CSV}?table={table}&preset=7")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_owners_csv_has_the_own_channel_rows_and_the_daily_column(web, world):
    web.sign_in_as(world.venue.owner)
    summary = {row[0]: row[1] for row in _csv(web, "summary")[1:]}
    assert summary["Bookings"] == "3"
    assert summary["Online bookings"] == "1"  # the marketplace order, not the website's
    assert summary["Bookings through your website"] == "1"
    assert summary["Website gross"] == "80.00"
    assert summary["Commission on website bookings"] == "0.00"
    assert summary["Online gross"] == "100.00" and summary["Commission"] == "15.00"
    daily = _csv(web, "daily")
    assert daily[0] == ["Day", "Online", "Your website", "Desk", "Gross"]
    assert [world.day.isoformat(), "1", "1", "1", "210.00"] in daily


def test_a_receptionist_sees_the_own_channel_count_but_no_money(web, world, make_user):
    web.sign_in_as(make_staff(make_user, world.venue, StaffRole.RECEPTIONIST))
    summary = {row[0]: row[1] for row in _csv(web, "summary")[1:]}
    assert summary["Bookings through your website"] == "1"
    assert "Website gross" not in summary and "Commission on website bookings" not in summary


def test_the_page_shows_the_own_channel_in_both_languages(web, world):
    web.sign_in_as(world.venue.owner)
    html = web.client.get(PAGE).get_data(as_text=True)
    assert "Bookings through your website" in html and "Your website" in html
    web.client.set_cookie("lang", "es")
    html = web.client.get(PAGE, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Reservas por su propia web" in html and "Su propia web" in html


def test_the_marketplace_report_counts_venues_own_websites_apart(world):
    period = Period(world.today - timedelta(days=6), world.today + timedelta(days=1), "7")
    gbp = next(m for m in market_report(period).money if m.currency == "GBP")
    # the marketplace's order and the desk's walk-in; the website's booking is not GMV and pays no commission
    assert (gbp.bookings, gbp.gmv_minor, gbp.commission_minor) == (2, 13000, 1500)
    assert (gbp.site_bookings, gbp.site_gross_minor, gbp.site_refunds_minor) == (1, 8000, 0)
    day = {d.day: d for d in market_report(period).daily}[world.day]
    assert (day.bookings, day.gmv_minor) == (2, 13000)
    # a refund on the website's booking stays on its side
    site = db.session.scalars(
        select(Booking).where(Booking.venue_id == world.venue.id, Booking.unit_price_minor == 8000)
    ).one()
    site.refund_minor = 2000
    refresh()
    gbp = next(m for m in market_report(period).money if m.currency == "GBP")
    assert (gbp.refunds_minor, gbp.site_refunds_minor) == (0, 2000)
    before = Period(world.today, world.today + timedelta(days=7), None)  # yesterday is in the one before
    later = next(m for m in market_report(before).money if m.currency == "GBP")
    assert (later.site_bookings_before, later.site_gross_before_minor) == (1, 8000)


def test_the_admins_money_csv_has_the_own_website_columns(web, world, admin):
    web.sign_in_as(admin)
    response = web.client.get("/admin/analytics.csv?table=money&preset=7")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, gbp = rows[0], next(r for r in rows[1:] if r[0] == "GBP")
    found = dict(zip(header, gbp, strict=True))
    assert (found["Bookings"], found["GMV"], found["Commission"]) == ("2", "130.00", "15.00")
    assert found["Bookings through venues' websites"] == "1"
    assert found["Gross through venues' websites"] == "80.00"
    web.client.set_cookie("lang", "es")
    html = web.client.get("/admin/analytics?preset=7").get_data(as_text=True)
    assert "Reservas por la web propia de los centros" in html
