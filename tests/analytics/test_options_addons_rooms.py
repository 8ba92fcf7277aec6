"""Analytics by service option and add-on, and room use (issue 44, item 7): counted as the report's
top services are (confirmed, completed and no-show bookings that start in the period, never a
move's hold), read through booking's read functions; rooms' booked hours over their units times
the venue's opening hours (09:00-18:00 every day in the world)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.analytics.periods import Period
from app.analytics.venue_reports import venue_report
from app.booking.models import BookingAddon, BookingResource
from app.platform.extensions import db
from app.venues.models import Closure, StaffRole
from app.venues.resources import add_resource
from tests.analytics.world import add_booking, at, build, refresh
from tests.venues.staff_world import make_staff

PAGE = "/provider/analytics"
CSV = "/provider/analytics.csv"
OPEN_MINUTES_A_DAY = 9 * 60


def _addon(booking, name: str, price: int) -> None:
    db.session.add(BookingAddon(booking_id=booking.id, name=name, price_minor=price, extra_minutes=15))


def _hold(booking, resource, unit: int) -> None:
    db.session.add(
        BookingResource(
            booking_id=booking.id,
            resource_id=resource.id,
            unit=unit,
            starts_at=booking.starts_at,
            blocks_until=booking.blocks_until,
            live=booking.status in ("held", "confirmed"),
        )
    )


@pytest.fixture
def spa(ctx, make_user):
    """Last week at a spa with two treatment rooms and a double room: two 90-minute massages
    with hot stones (one with a promo), a 60-minute one (a no-show), a booking without an option
    that had a scalp massage, and bookings that must not count: cancelled, by the venue, and one
    before the period."""
    world = build(make_user)
    room = add_resource(world.venue, name="Treatment room", quantity=2)
    add_resource(world.venue, name="Double room", quantity=1)
    day = world.today - timedelta(days=1)

    first = add_booking(world, at(day, 10), member=world.first, price=9000, minutes=90)
    first.option_name = "90 min"
    _addon(first, "Hot stones", 1500)
    _hold(first, room, 1)

    second = add_booking(world, at(day, 10), member=world.second, status="confirmed", price=9000, minutes=60)
    second.option_name = "90 min"
    second.promo_discount_minor = 500
    _addon(second, "Hot stones", 1500)
    _hold(second, room, 2)

    short = add_booking(world, at(day, 14), member=world.first, status="no_show", price=4500)
    short.option_name = "60 min"

    plain = add_booking(world, at(day, 16), member=world.second, price=7000)
    _addon(plain, "Scalp massage", 1000)

    for status, when in (
        ("cancelled_by_customer", at(day, 12)),
        ("cancelled_by_venue", at(day, 13)),
        ("completed", at(world.today - timedelta(days=20), 10)),
    ):
        other = add_booking(world, when, member=world.first, status=status, price=9000, cancelled_hours_before=1)
        other.option_name = "90 min"
        _addon(other, "Hot stones", 1500)
        _hold(other, room, 1)
    refresh()
    world.period = Period(world.today - timedelta(days=6), world.today + timedelta(days=1), "7")
    return world


def test_options_count_bookings_that_took_their_time_with_their_gross(spa):
    menu = venue_report(spa.venue, spa.period).menu
    assert [(o.name, o.bookings, o.gross_minor) for o in menu.options] == [
        ("Deep tissue massage · 90 min", 2, 9000 + 9000 - 500),  # add-ons included, less the promo
        ("Deep tissue massage · 60 min", 1, 4500),
    ]


def test_add_ons_count_the_bookings_that_had_them_at_their_booked_price(spa):
    menu = venue_report(spa.venue, spa.period).menu
    assert [(a.name, a.times, a.gross_minor) for a in menu.addons] == [
        ("Hot stones", 2, 3000),
        ("Scalp massage", 1, 1000),
    ]


def test_room_use_is_held_hours_over_units_times_opening_hours(spa):
    rooms = venue_report(spa.venue, spa.period).menu.rooms
    week = 7 * OPEN_MINUTES_A_DAY
    assert [(r.name, r.quantity, r.booked_minutes, r.available_minutes) for r in rooms] == [
        ("Treatment room", 2, 90 + 60, 2 * week),
        ("Double room", 1, 0, week),
    ]
    assert rooms[0].occupancy == pytest.approx(150 / (2 * week))
    assert rooms[1].occupancy == 0


def test_a_closed_day_is_not_available_to_rooms(spa):
    db.session.add(Closure(venue_id=spa.venue.id, starts_on=spa.today, ends_on=spa.today, reason="Holiday"))
    db.session.flush()
    db.session.expire(spa.venue)
    rooms = venue_report(spa.venue, spa.period).menu.rooms
    assert rooms[1].available_minutes == 6 * OPEN_MINUTES_A_DAY


def test_a_practitioner_counts_their_own_bookings_and_no_money(spa):
    menu = venue_report(spa.venue, spa.period, member_id=spa.first.id, with_revenue=False).menu
    assert [(o.name, o.bookings, o.gross_minor) for o in menu.options] == [
        ("Deep tissue massage · 60 min", 1, 0),
        ("Deep tissue massage · 90 min", 1, 0),
    ]
    assert [(a.name, a.times, a.gross_minor) for a in menu.addons] == [("Hot stones", 1, 0)]
    assert [r.booked_minutes for r in menu.rooms] == [90, 0]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_owner_sees_the_tables_with_money_and_their_csv(web, spa):
    web.sign_in_as(spa.venue.owner)
    html = web.client.get(PAGE + "?preset=7").get_data(as_text=True)
    assert "Options and add-ons" in html and "Rooms and equipment" in html
    assert "Deep tissue massage · 90 min" in html and "Hot stones" in html and "Treatment room" in html
    assert "£175.00" in html  # the 90-minute option's gross
    assert 'data-empty="menu"' not in html and 'data-empty="rooms"' not in html
    assert _csv(web.client.get(CSV + "?preset=7&table=options")) == [
        ["Service and option", "Bookings", "Gross"],
        ["Deep tissue massage · 90 min", "2", "175.00"],
        ["Deep tissue massage · 60 min", "1", "45.00"],
    ]
    assert _csv(web.client.get(CSV + "?preset=7&table=addons")) == [
        ["Add-on", "Times", "Gross"],
        ["Hot stones", "2", "30.00"],
        ["Scalp massage", "1", "10.00"],
    ]
    assert _csv(web.client.get(CSV + "?preset=7&table=rooms")) == [
        ["Room or equipment", "Units", "Booked hours", "Available hours", "Use"],
        ["Treatment room", "2", "2.5", "126.0", f"{150 / (2 * 7 * OPEN_MINUTES_A_DAY):.4f}"],
        ["Double room", "1", "0.0", "63.0", "0.0000"],
    ]


def test_a_receptionist_sees_the_counts_without_money(web, make_user, spa):
    web.sign_in_as(make_staff(make_user, spa.venue, StaffRole.RECEPTIONIST))
    assert _csv(web.client.get(CSV + "?preset=7&table=options"))[0] == ["Service and option", "Bookings"]
    assert _csv(web.client.get(CSV + "?preset=7&table=addons"))[1] == ["Hot stones", "2"]


def test_a_period_without_bookings_says_so(web, spa):
    web.sign_in_as(spa.venue.owner)
    empty = (spa.today - timedelta(days=60)).isoformat(), (spa.today - timedelta(days=40)).isoformat()
    html = web.client.get(f"{PAGE}?from={empty[0]}&to={empty[1]}").get_data(as_text=True)
    assert "No bookings of an option or with an add-on in this period." in html
    assert "No bookings held a room or equipment in this period." in html
    assert "Deep tissue massage · 90 min" not in html


def test_a_venue_without_rooms_says_so(web, make_user, ctx):
    world = build(make_user)
    web.sign_in_as(world.venue.owner)
    html = web.client.get(PAGE).get_data(as_text=True)
    assert "The venue lists no rooms or equipment." in html
    assert "No bookings of an option or with an add-on in this period." in html


def test_the_tables_speak_spanish(web, spa):
    web.sign_in_as(spa.venue.owner)
    html = web.client.get(PAGE + "?preset=7", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Opciones y extras" in html and "Salas y equipos" in html and "Uso de salas y equipos" in html
    empty = web.client.get(PAGE + "?from=2026-01-01&to=2026-01-07", headers={"Accept-Language": "es"})
    assert "No hay reservas de una opción ni con un extra en este periodo." in empty.get_data(as_text=True)
