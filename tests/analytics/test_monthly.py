"""Monthly rollups (migration 0065): a period reads its whole months from the monthly tables and
its edge days from the daily ones. A year's report must equal the same figures computed here
straight from the bookings, edges, refunds, cancellations and no-shows included; and the months
must follow every change the job recounts."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from app.analytics.models import VenueMonth
from app.analytics.periods import Period
from app.analytics.spans import Pieces, split
from app.analytics.venue_reports import median_of, venue_report
from app.booking.models import Booking, Order
from app.platform.extensions import db
from app.venues.models import Service
from tests.analytics.world import TZ, add_booking, at, build, refresh

COUNTED = ("confirmed", "completed", "no_show")


def test_split_takes_whole_months_and_leaves_the_edges_as_days():
    assert split(date(2026, 1, 15), date(2027, 1, 15)) == Pieces(
        ((date(2026, 1, 15), date(2026, 2, 1)), (date(2027, 1, 1), date(2027, 1, 15))),
        (date(2026, 2, 1), date(2027, 1, 1)),
    )
    assert split(date(2026, 3, 1), date(2026, 4, 1)) == Pieces((), (date(2026, 3, 1), date(2026, 4, 1)))
    assert split(date(2026, 3, 1), date(2026, 5, 17)) == Pieces(
        ((date(2026, 5, 1), date(2026, 5, 17)),), (date(2026, 3, 1), date(2026, 5, 1))
    )
    # inside one month, or across one month's end without a whole month: days only
    assert split(date(2026, 3, 4), date(2026, 3, 11)) == Pieces(((date(2026, 3, 4), date(2026, 3, 11)),), None)
    assert split(date(2026, 3, 20), date(2026, 4, 20)) == Pieces(((date(2026, 3, 20), date(2026, 4, 20)),), None)
    assert split(date(2026, 12, 2), date(2027, 2, 1)) == Pieces(
        ((date(2026, 12, 2), date(2027, 1, 1)),), (date(2027, 1, 1), date(2027, 2, 1))
    )
    assert split(date(2026, 3, 4), date(2026, 3, 4)) == Pieces((), None)


# Statuses, channels and refunds cycled over the bookings, so every kind lands in whole months and
# at the edges alike.
KINDS = (
    {"status": "completed"},
    {"status": "cancelled_by_customer", "cancelled_hours_before": 2, "refund": 2500},  # late
    {"status": "completed", "channel": "desk", "price": 4000},
    {"status": "no_show"},
    {"status": "cancelled_by_customer", "cancelled_hours_before": 72, "refund": 6000},  # free
    {"status": "completed", "order_channel": "venue_site", "price": 8000},
    {"status": "cancelled_by_venue", "refund": 6000},
    {"status": "completed", "refund": 1000},  # a partial refund of a visit
    {"status": "confirmed"},
)
LEADS = (2, 24, 48, 200, 700)


def _when(period_first: date, after: date) -> list[date]:
    """The days that test the seams: both periods' edges, the days around them, each month's
    first and last day, and a few in between."""
    before = period_first - (after - period_first)
    days = {before - timedelta(days=1), before, period_first - timedelta(days=1), period_first}
    days |= {after - timedelta(days=1), after, after + timedelta(days=1)}
    month = before.replace(day=1)
    while month < after + timedelta(days=31):
        nxt = (month + timedelta(days=32)).replace(day=1)
        days |= {month, nxt - timedelta(days=1), month + timedelta(days=13)}
        month = nxt
    return sorted(days)


@pytest.fixture
def year(ctx, make_user):
    world = build(make_user)
    facial = Service(venue_id=world.venue.id, name="Facial", duration_minutes=30, price_minor=3000)
    db.session.add(facial)
    db.session.flush()
    first = (world.today - timedelta(days=420)).replace(day=15)
    period = Period(first, first + timedelta(days=366), None)
    for n, day in enumerate(_when(period.first, period.after)):
        add_booking(
            world,
            at(day, 9 + n % 14, 30 * (n % 2)),
            member=world.first if n % 3 else world.second,
            service=facial if n % 4 == 0 else None,
            minutes=30 + 15 * (n % 3),
            booked_hours_ahead=LEADS[n % len(LEADS)],
            **KINDS[n % len(KINDS)],
        )
        # a late booking of the last hour, on the same day
        if n % 5 == 0:
            add_booking(world, at(day, 23), member=world.second, minutes=60, **KINDS[(n + 3) % len(KINDS)])
    refresh()
    return world, period


def _local_day(booking: Booking) -> date:
    return booking.starts_at.astimezone(TZ).date()


def _expected(world, first: date, after: date, member_id: int | None = None) -> dict:
    """The report's figures for [first, after), counted here from the bookings themselves."""
    rows = db.session.execute(
        select(Booking, Order.channel, Order.paid_at)
        .join(Order, Order.id == Booking.order_id)
        .where(Booking.venue_id == world.venue.id)
    ).all()
    figures: Counter = Counter()
    members: dict[int, Counter] = defaultdict(Counter)
    services: dict[str, Counter] = defaultdict(Counter)
    hours: Counter = Counter()
    leads: Counter = Counter()
    for b, order_channel, paid_at in rows:
        day = _local_day(b)
        if not first <= day < after or b.status in ("held", "expired") or b.moves_booking_id is not None:
            continue
        if member_id is not None and b.team_member_id != member_id:
            continue
        channel = "site" if b.channel == "online" and order_channel == "venue_site" else b.channel
        counted = b.status in COUNTED
        minutes = int((b.ends_at - b.starts_at).total_seconds() // 60)
        if counted:
            gross = b.unit_price_minor * b.quantity - b.promo_discount_minor
        else:
            gross = b.online_minor - b.promo_discount_minor if paid_at is not None else 0
        figures[channel] += 1
        figures[channel + "_gross_minor"] += gross
        figures["completed"] += b.status == "completed"
        figures["cancelled"] += b.status.startswith("cancelled")
        figures["late_cancelled"] += b.status == "cancelled_by_customer" and b.cancelled_at > b.starts_at - timedelta(
            hours=b.cancel_free_hours
        )
        figures["no_shows"] += b.status == "no_show"
        figures["booked_minutes"] += minutes if counted else 0
        figures["gross_minor"] += gross
        figures["refunds_minor"] += b.refund_minor
        members[b.team_member_id].update(
            {"bookings": 1, "booked_minutes": minutes if counted else 0, "gross_minor": gross}
        )
        hours_ahead = max((b.starts_at - b.created_at).total_seconds() / 3600, 0)
        leads[round(4 * math.log2(1 + hours_ahead))] += 1
        if counted:
            services[b.service.name].update({"bookings": 1, "gross_minor": gross})
            local = b.starts_at.astimezone(TZ).replace(tzinfo=None)
            ends = b.ends_at.astimezone(TZ).replace(tzinfo=None)
            hour = local.replace(minute=0)
            while hour < ends and hour.date() == day:
                overlap = min(ends, hour + timedelta(hours=1)) - max(local, hour)
                hours[(hour.weekday(), hour.hour)] += int(overlap.total_seconds() // 60)
                hour += timedelta(hours=1)
    return {
        "figures": figures,
        "members": {m: (c["bookings"], c["booked_minutes"], c["gross_minor"]) for m, c in members.items()},
        "services": {name: (c["bookings"], c["gross_minor"]) for name, c in services.items()},
        "hours": {cell: minutes for cell, minutes in hours.items() if minutes},
        "lead": median_of(sorted(leads.items())),
    }


def _check(report_figures, expected: Counter) -> None:
    for name in (
        "online",
        "desk",
        "site",
        "completed",
        "cancelled",
        "late_cancelled",
        "no_shows",
        "booked_minutes",
        "gross_minor",
        "refunds_minor",
        "online_gross_minor",
        "desk_gross_minor",
        "site_gross_minor",
    ):
        assert getattr(report_figures, name) == expected[name], name
    assert report_figures.commission_minor == 0  # no venue transfers in this world


def _assert_report_matches_bookings(world, period: Period, member_id: int | None = None) -> None:
    report = venue_report(world.venue, period, member_id=member_id, with_revenue=True)
    now = _expected(world, period.first, period.after, member_id)
    before = _expected(world, period.previous().first, period.previous().after, member_id)
    assert now["figures"]["online"] and now["figures"]["cancelled"] and now["figures"]["no_shows"]  # the world has them
    _check(report.current, now["figures"])
    _check(report.before, before["figures"])
    assert {m.member_id: (m.bookings, m.booked_minutes, m.gross_minor) for m in report.members if m.bookings} == now[
        "members"
    ]
    assert {s.name: (s.bookings, s.gross_minor) for s in report.services} == now["services"]
    assert {(c.weekday, c.hour): c.booked_minutes for c in report.hours if c.booked_minutes} == now["hours"]
    if member_id is None:
        assert (report.lead_hours, report.lead_hours_before) == (now["lead"], before["lead"])
    # the daily table still has every day, and adds up to the period's bookings
    assert len(report.daily) == period.days
    assert sum(d.online + d.desk + d.site for d in report.daily) == report.current.bookings


def test_a_year_over_months_and_edge_days_equals_the_bookings_counted_directly(year):
    world, period = year
    assert split(period.first, period.after).months  # the year does read whole months
    assert split(period.first, period.after).days  # and edge days on both sides
    _assert_report_matches_bookings(world, period)


def test_a_practitioners_year_equals_their_own_bookings(year):
    world, period = year
    _assert_report_matches_bookings(world, period, member_id=world.second.id)


@pytest.mark.parametrize("shift", [0, 1, 16])
def test_periods_starting_on_a_month_or_inside_one_agree_with_the_bookings(year, shift):
    world, period = year
    first = (period.first + timedelta(days=40)).replace(day=1) + timedelta(days=shift)
    _assert_report_matches_bookings(world, Period(first, first + timedelta(days=200), None))


def _months_equal_days(world) -> None:
    summed = db.session.execute(
        text(
            "SELECT date_trunc('month', day)::date, team_member_id, channel, sum(bookings), sum(cancelled),"
            " sum(gross_minor), sum(refunds_minor) FROM analytics_venue_days WHERE venue_id = :v GROUP BY 1, 2, 3"
        ),
        {"v": world.venue.id},
    ).all()
    months = db.session.execute(
        select(
            VenueMonth.month,
            VenueMonth.team_member_id,
            VenueMonth.channel,
            VenueMonth.bookings,
            VenueMonth.cancelled,
            VenueMonth.gross_minor,
            VenueMonth.refunds_minor,
        ).where(VenueMonth.venue_id == world.venue.id)
    ).all()
    assert sorted(tuple(r) for r in months) == sorted(tuple(r) for r in summed)
    for table, day_table in (
        ("analytics_venue_hour_months", "analytics_venue_hours"),
        ("analytics_venue_service_months", "analytics_venue_services"),
        ("analytics_venue_lead_months", "analytics_venue_leads"),
    ):
        column = "booked_minutes" if "hour" in table else "bookings"
        totals = db.session.execute(
            text(
                f"SELECT (SELECT coalesce(sum({column}), 0) FROM {table} WHERE venue_id = :v),"
                f" (SELECT coalesce(sum({column}), 0) FROM {day_table} WHERE venue_id = :v)"
            ),
            {"v": world.venue.id},
        ).one()
        assert totals[0] == totals[1], table


def test_the_job_keeps_the_months_as_fresh_as_the_days(year):
    world, period = year
    _months_equal_days(world)
    inside = (period.first + timedelta(days=60)).replace(day=10)
    booking = add_booking(world, at(inside, 11), price=9900)
    refresh()
    _months_equal_days(world)
    _assert_report_matches_bookings(world, period)
    # cancelled with a refund, then moved to another month, then deleted: each recounted
    booking.status = "cancelled_by_venue"
    booking.refund_minor = 9900
    booking.cancelled_at = booking.starts_at - timedelta(hours=1)
    refresh()
    _assert_report_matches_bookings(world, period)
    booking.starts_at = at(inside + timedelta(days=45), 11)
    booking.ends_at = booking.blocks_until = booking.starts_at + timedelta(hours=1)
    refresh()
    _months_equal_days(world)
    _assert_report_matches_bookings(world, period)
    db.session.delete(booking)
    refresh()
    _months_equal_days(world)
    _assert_report_matches_bookings(world, period)


def test_a_month_whose_last_booking_goes_has_no_rows_left(ctx, make_user):
    world = build(make_user)
    day = (world.today - timedelta(days=200)).replace(day=5)
    booking = add_booking(world, at(day, 10))
    refresh()
    months = select(VenueMonth).where(VenueMonth.venue_id == world.venue.id)
    assert [(m.month, m.bookings) for m in db.session.scalars(months)] == [(day.replace(day=1), 1)]
    db.session.delete(booking)
    refresh()
    assert db.session.scalars(months).all() == []
