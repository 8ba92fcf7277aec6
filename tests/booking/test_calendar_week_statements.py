"""The week grid of a busy week (bench/pages/busy_week.py: 5 team members, 300 bookings, rooms,
add-ons, blocks, one member's own hours and another's holiday) is read in fewer than 25 SQL
statements, however many bookings it shows: no lazy load per booking, member, room or day.
Its speed is bench/pages/calendar_week.py's, never timed here."""

from __future__ import annotations

import re

import pytest

from app.platform.extensions import cache
from bench.pages.busy_week import build_busy_week, next_monday
from tests.statements import statements_sent

MOST = 24


@pytest.fixture
def statements_of(web):
    def ask(path: str) -> tuple[str, list[str]]:
        cache.clear()
        with statements_sent() as sent:
            response = web.get(path)
        assert response.status_code == 200
        return response.get_data(as_text=True), sent

    return ask


def test_a_week_of_300_bookings_takes_fewer_than_25_statements(ctx, make_user, web, statements_of):
    owner = make_user(role="provider")
    customers = [make_user(name=f"Client {n}") for n in range(12)]
    week = build_busy_week(owner=owner, customers=customers, first_day=next_monday())
    web.sign_in_as(owner)

    page, sent = statements_of(week.path)

    shown = len(re.findall(r'<li class="cal-event cal-booking', page))
    live = sum(1 for b in week.bookings if b.status == "confirmed")
    assert shown == live > 280  # every live booking is on the grid, once (none crosses midnight)
    assert page.count("data-drop-day=") == 7
    assert page.count('class="cal-col ') == 7 * 5  # a column per member and day; no "Unassigned"
    assert "data-rooms" in page and "Hot stones" in page  # rooms and add-ons were read, and shown
    assert page.count('class="cal-off ') > 7  # off time shaded: the holiday, the member's own hours
    assert len(sent) < MOST + 1, "\n".join(sent)


def test_the_count_doesnt_grow_with_the_bookings(ctx, make_user, web, statements_of):
    owner = make_user(role="provider")
    customers = [make_user(name=f"Client {n}") for n in range(4)]
    small = build_busy_week(owner=owner, customers=customers, first_day=next_monday(), bookings=30)
    web.sign_in_as(owner)
    _page, few = statements_of(small.path)
    other = make_user(role="provider")
    large = build_busy_week(owner=other, customers=customers, first_day=next_monday(), bookings=300, name="Busier")
    web.sign_in_as(other)
    _page, many = statements_of(large.path)
    assert len(few) == len(many), "\n".join(["30:", *few, "300:", *many])
