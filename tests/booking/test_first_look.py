"""Checkout's first look (``taken_by_bookings``): one query over live bookings that refuses a
time already taken without the slot engine or any lock, and never refuses a time the engine
would still offer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.booking.availability import find_slot, get_slots, taken_by_bookings
from app.booking.models import BookingStatus
from app.platform.extensions import db
from app.venues.service import save_service
from tests.booking.helpers import book, future_slot, make_bookable_venue


def first_look(service, start, *, quantity=1, member=None, now=None):
    now = now or datetime.now(UTC)
    return taken_by_bookings(service, start, quantity=quantity, team_member_id=member, now=now)


def test_a_full_slot_is_seen_as_full(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    start = future_slot(days=4)
    assert first_look(service, start) is None
    book(customer, service, start)
    assert first_look(service, start) == "full"
    assert first_look(service, start + timedelta(minutes=30)) == "full"  # overlaps the hour
    assert first_look(service, start + timedelta(hours=1)) is None


def test_an_expired_hold_does_not_count(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    start = future_slot(days=4)
    booking = book(customer, service, start, confirm=False)
    assert booking.status == BookingStatus.HELD
    assert first_look(service, start) == "full"
    assert first_look(service, start, now=booking.hold_expires_at + timedelta(seconds=1)) is None


def test_a_chosen_team_member_booked_through_another_service(ctx, provider, customer):
    venue, massage = make_bookable_venue(provider, capacity=3, team=2)
    facial = save_service(
        venue,
        None,
        name="Facial",
        description="",
        category_id=None,
        duration_minutes=60,
        price_minor=5000,
        capacity=3,
        buffer_minutes=0,
        is_active=True,
    )
    first, second = venue.team
    first.services.append(facial)
    db.session.flush()
    start = future_slot(days=5)
    book(customer, facial, start, team_member_id=first.id)
    assert first_look(massage, start, member=first.id) == "member"
    assert first_look(massage, start, member=second.id) is None
    assert first_look(massage, start) is None  # the second therapist is free
    assert first_look(massage, start, quantity=2) == "full"  # but only one is


def test_it_never_refuses_a_time_the_engine_offers(ctx, provider, make_user):
    venue, service = make_bookable_venue(provider, capacity=3, team=2)
    day_start = future_slot(days=6, hour=9)
    for hour, quantity in ((0, 1), (1, 1), (1, 1), (3, 1)):
        book(make_user(), service, day_start + timedelta(hours=hour), quantity=quantity)
    day = day_start.astimezone(ZoneInfo(venue.timezone)).date()
    for slot in get_slots(service, day):
        for quantity in range(1, slot.remaining + 1):
            assert first_look(service, slot.start, quantity=quantity) is None, (slot, quantity)
        for member in slot.team_member_ids:
            assert first_look(service, slot.start, member=member) is None
    # And what it refuses, the engine refuses too.
    for minutes in range(0, 9 * 60, 15):
        start = day_start + timedelta(minutes=minutes)
        if first_look(service, start) == "full":
            assert find_slot(service, start) is None
