"""The daily rollup (triggers queue days, the job recounts them) and the venue's report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.analytics.models import DirtyDay, MarketDay, VenueDay
from app.analytics.periods import Period
from app.analytics.venue_reports import venue_report
from app.booking.time_blocks import add_time_block
from app.payouts.models import VenueTransfer
from app.platform.extensions import db
from app.reviews.models import Review
from app.venues.models import Closure, Service
from tests.analytics.world import add_booking, at, build, client, refresh


@pytest.fixture
def world(ctx, make_user):
    return build(make_user)


def _days(world):
    return {
        (row.day, row.team_member_id, row.channel): row
        for row in db.session.scalars(select(VenueDay).where(VenueDay.venue_id == world.venue.id))
    }


def test_a_written_booking_queues_its_local_day_and_the_job_counts_it(world):
    day = world.today - timedelta(days=3)
    booking = add_booking(world, at(day, 10), price=6000)
    queued = db.session.scalars(select(DirtyDay.day).where(DirtyDay.venue_id == world.venue.id)).all()
    assert day in queued
    assert refresh() >= 1
    row = _days(world)[(day, world.first.id, "online")]
    assert (row.bookings, row.completed, row.booked_minutes, row.gross_minor) == (1, 1, 60, 6000)
    # a late-night booking in London counts on its London day (00:30 local, still the day before in UTC in summer)
    booking.status = "no_show"
    refresh()
    assert _days(world)[(day, world.first.id, "online")].no_shows == 1
    assert db.session.scalar(select(func.count()).select_from(DirtyDay)) == 0


def test_cancellations_late_ones_refunds_and_the_desk_are_counted_apart(world):
    day = world.today - timedelta(days=2)
    add_booking(world, at(day, 9), status="cancelled_by_customer", cancelled_hours_before=48, refund=6000)
    add_booking(world, at(day, 10), status="cancelled_by_customer", cancelled_hours_before=2, refund=3000)
    add_booking(world, at(day, 11), channel="desk", price=4000)
    add_booking(world, at(day, 12), status="held")  # not a booking yet: not counted
    refresh()
    online = _days(world)[(day, world.first.id, "online")]
    desk = _days(world)[(day, world.first.id, "desk")]
    assert (online.bookings, online.cancelled, online.late_cancelled, online.booked_minutes) == (2, 2, 1, 0)
    # cancelled and paid online: the price was taken, the refunds given back
    assert (online.gross_minor, online.refunds_minor) == (12000, 9000)
    assert (desk.bookings, desk.gross_minor, desk.commission_minor) == (1, 4000, 0)


def test_commission_comes_from_the_venue_transfer_and_the_market_day_adds_the_venues(world, make_user):
    day = world.today - timedelta(days=1)
    booking = add_booking(world, at(day, 10), price=10000)
    db.session.add(
        VenueTransfer(
            order_id=booking.order_id,
            venue_id=world.venue.id,
            funding="balance",  # no payment row needed: a leg funded by the platform's balance
            gateway="demo",
            currency="GBP",
            gross_minor=10000,
            charged_minor=10000,
            commission_bp=1500,
            commission_minor=1500,
            transfer_minor=8500,
            transfer_group="g1",
        )
    )
    other = build(make_user, name="Other Rooms")
    add_booking(other, at(day, 10), price=5000)
    refresh()
    assert _days(world)[(day, world.first.id, "online")].commission_minor == 1500
    market = db.session.get(MarketDay, (day, "GBP"))
    assert (market.bookings, market.gmv_minor, market.commission_minor) >= (2, 15000, 1500)


def test_a_moved_booking_leaves_its_old_day_and_counts_on_the_new(world):
    old_day, new_day = world.today - timedelta(days=5), world.today - timedelta(days=4)
    booking = add_booking(world, at(old_day, 10))
    refresh()
    booking.starts_at, booking.ends_at, booking.blocks_until = at(new_day, 10), at(new_day, 11), at(new_day, 11)
    refresh()
    days = _days(world)
    assert (old_day, world.first.id, "online") not in days
    assert days[(new_day, world.first.id, "online")].bookings == 1


def _period(world, days=7):
    return Period(world.today - timedelta(days=days - 1), world.today + timedelta(days=1), str(days))


def test_the_venue_report_compares_with_the_period_before(world):
    this_week = world.today - timedelta(days=1)
    last_week = world.today - timedelta(days=8)
    add_booking(world, at(this_week, 10), booked_hours_ahead=10)
    add_booking(world, at(this_week, 11), member=world.second, channel="desk", booked_hours_ahead=30)
    add_booking(world, at(this_week, 12), status="no_show", booked_hours_ahead=20)
    add_booking(world, at(last_week, 10), booked_hours_ahead=100)
    refresh()
    report = venue_report(world.venue, _period(world))
    assert (report.current.online, report.current.desk, report.current.no_shows) == (2, 1, 1)
    assert report.before.bookings == 1
    assert report.current.gross_minor == 18000
    # the venue's median from the rollup's histogram: within a quarter octave (about 9%)
    assert report.lead_hours == pytest.approx(20, rel=0.1)
    assert report.lead_hours_before == pytest.approx(100, rel=0.1)
    # a team member's from their own bookings, exactly
    own = venue_report(world.venue, _period(world), member_id=world.first.id, with_revenue=False)
    assert own.lead_hours == pytest.approx(15)
    assert sum(d.online + d.desk for d in report.daily) == 3 and len(report.daily) == 7


def test_occupancy_is_booked_over_available_minutes_less_closures_and_blocks(world):
    day = world.today - timedelta(days=2)
    closed = world.today - timedelta(days=3)
    db.session.add(Closure(venue_id=world.venue.id, starts_on=closed, ends_on=closed))
    add_time_block(world.venue, member_id=world.first.id, starts_at=at(day, 9), ends_at=at(day, 10), reason="")
    add_booking(world, at(day, 10), minutes=90)
    refresh()
    report = venue_report(world.venue, _period(world))
    first = next(m for m in report.members if m.member_id == world.first.id)
    # 7 days of 9 hours, one closed, one hour blocked: 6 * 540 - 60
    assert first.available_minutes == 6 * 540 - 60
    assert first.booked_minutes == 90
    cell = {(c.weekday, c.hour): c for c in report.hours}[(day.weekday(), 10)]
    assert (cell.booked_minutes, cell.available_minutes) == (60, 120)
    assert cell.occupancy == pytest.approx(0.5)


def test_new_returning_clients_retention_top_services_and_ratings(world, customer):
    period = _period(world, 30)
    regular, newcomer, once = client(world.venue, "Regular"), client(world.venue, "New"), client(world.venue, "Once")
    add_booking(world, at(world.today - timedelta(days=60), 10), who=regular)
    add_booking(world, at(world.today - timedelta(days=10), 10), who=regular)
    add_booking(world, at(world.today - timedelta(days=20), 11), who=newcomer)
    add_booking(world, at(world.today - timedelta(days=5), 11), who=newcomer)
    add_booking(world, at(world.today - timedelta(days=3), 12), who=once)
    facial = Service(venue_id=world.venue.id, name="Facial", duration_minutes=30, price_minor=3000, capacity=1)
    db.session.add(facial)
    db.session.flush()
    add_booking(world, at(world.today - timedelta(days=3), 14), service=facial, price=3000)
    booking = add_booking(world, at(world.today - timedelta(days=4), 15))
    body = "Good, calm and on time."
    db.session.add(Review(booking_id=booking.id, venue_id=world.venue.id, customer_id=customer.id, rating=4, body=body))
    refresh()
    report = venue_report(world.venue, period)
    # in the period: regular (returning), newcomer (new, came back within 90 days), once, and two walk-ins
    assert (report.clients.new, report.clients.returning, report.clients.new_returned_90) == (4, 1, 1)
    assert report.clients.retention == pytest.approx(0.25)
    assert [(s.name, s.bookings) for s in report.services] == [("Deep tissue massage", 5), ("Facial", 1)]
    assert [(r.reviews, r.average) for r in report.ratings] == [(1, 4.0)]


def test_a_practitioner_sees_their_own_figures_and_no_money(world):
    day = world.today - timedelta(days=1)
    add_booking(world, at(day, 10), member=world.first)
    add_booking(world, at(day, 12), member=world.second)
    add_booking(world, at(day, 14), member=world.second)
    refresh()
    report = venue_report(world.venue, _period(world), member_id=world.first.id, with_revenue=False)
    assert report.current.bookings == 1
    assert report.current.gross_minor == 0 and report.current.net_minor == 0
    assert [m.member_id for m in report.members] == [world.first.id]
    assert all(s.gross_minor == 0 for s in report.services)
    assert sum(c.booked_minutes for c in report.hours) == 60


def test_rebuild_all_recounts_every_day(world):
    add_booking(world, at(world.today - timedelta(days=1), 10))
    refresh()
    db.session.execute(text("DELETE FROM analytics_venue_days"))
    from app.analytics import rollup

    assert rollup.rebuild_all() >= 1
    assert _days(world)
