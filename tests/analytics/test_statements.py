"""Each report sends a fixed handful of SQL statements, whatever the amount of data: the
rollup and one aggregate per table, never a query per day, member, client or booking.
(Speed itself is bench/analytics.)"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.analytics.market_reports import market_report
from app.analytics.periods import Period
from app.analytics.venue_reports import venue_report
from app.platform.extensions import db
from tests.analytics.world import add_booking, at, build, client, refresh
from tests.statements import statements_sent

VENUE_REPORT = 19  # figures, lead time, team, hours, closures, schedules, blocks, members, grid, clients, daily,
# services, ratings, options, add-ons, rooms held, resources (app/analytics/menu_reports.py), invitations back,
# tips per team member (app/tips/reporting.py)
MARKET_REPORT = 5  # sign-ups, listings, money, funnel, empty searches


def _statements(run) -> list[str]:
    with statements_sent() as sent:
        run()
    return sent


def _fill(world, bookings: int) -> None:
    regulars = [client(world.venue, f"Client {n}") for n in range(max(bookings // 3, 1))]
    for n in range(bookings):
        day = world.today - timedelta(days=n % 25)
        member = world.first if n % 2 else world.second
        add_booking(
            world,
            at(day, 9 + (n // 50) % 8, (n // 25) % 2 * 30),
            member=member,
            who=regulars[n % len(regulars)],
            minutes=30,
        )
    refresh()


@pytest.mark.parametrize("days", [30, 366])  # a year reads whole months and edge days: still one statement each
@pytest.mark.parametrize("bookings", [6, 60])
def test_the_venue_report_sends_the_same_statements_for_more_data(ctx, make_user, bookings, days):
    world = build(make_user)
    _fill(world, bookings)
    period = Period(world.today - timedelta(days=days - 1), world.today + timedelta(days=1), None)
    db.session.expire_all()
    db.session.refresh(world.venue)  # the page has its venue; its team, hours and closures are read cold
    sent = _statements(lambda: venue_report(world.venue, period))
    assert len(sent) == VENUE_REPORT, "\n".join(s[:80] for s in sent)


@pytest.mark.parametrize("bookings", [6, 60])
def test_the_market_report_sends_the_same_statements_for_more_data(ctx, make_user, bookings):
    world = build(make_user)
    _fill(world, bookings)
    period = Period(world.today - timedelta(days=89), world.today + timedelta(days=1), "90")
    sent = _statements(lambda: market_report(period))
    assert len(sent) == MARKET_REPORT, "\n".join(s[:80] for s in sent)
