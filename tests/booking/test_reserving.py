"""Reserving a time (app/booking/reserving.py), the one sequence checkout, the desk, waitlist
offers, moves and top-ups share: holds that ran out stop counting, the slot engine is asked
again, the chosen or the first free team members take it, and the write is refused by the
team-member exclusion constraint as the last line of defence, in a savepoint that leaves the
transaction usable. Each refusal is SlotUnavailable in the caller's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.booking import order_lifecycle
from app.booking.errors import SlotUnavailable
from app.booking.holds import hold_booking
from app.booking.models import Booking, BookingStatus, Order, OrderStatus
from app.booking.reserving import free_slot, reserve, write_or_refuse
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue

WORDS = {"taken": "gone", "member_busy": "busy then", "just_taken": "gone just now"}


def words(why: str) -> str:
    return WORDS[why]


def holds_for(customer, service, *, now: datetime):
    """A held order of ``customer`` and a ``write`` that adds one held booking per person to it."""
    hold_until = now + timedelta(minutes=30)
    order = order_lifecycle.hold(customer, currency=service.currency, hold_until=hold_until)

    def write(slot, people) -> list[Booking]:
        bookings = [
            hold_booking(
                service,
                order_id=order.id,
                customer_id=customer.id,
                team_member_id=member_id,
                starts_at=slot.start,
                ends_at=slot.end,
                hold_until=hold_until,
            )
            for member_id in people
        ]
        db.session.add_all(bookings)
        return bookings

    return write


def live_at(service, start) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.service_id == service.id,
            Booking.starts_at == start,
            Booking.status.in_([BookingStatus.HELD, BookingStatus.CONFIRMED]),
        )
    )


def test_a_free_time_is_held_for_the_first_free_team_members_one_a_place(ctx, provider, customer):
    venue, service = make_bookable_venue(provider, capacity=3, team=3)
    now, start = datetime.now(UTC), future_slot(days=3, hour=10)

    held = reserve(service, start, holds_for(customer, service, now=now), now=now, refusal=words, quantity=2)

    assert [b.id is not None for b in held] == [True, True]  # written and flushed
    team = {m.id for m in venue.team}
    assert len({b.team_member_id for b in held}) == 2 and {b.team_member_id for b in held} <= team
    assert {b.status for b in held} == {BookingStatus.HELD}
    assert live_at(service, start) == 2


def test_a_service_without_a_team_is_held_for_nobody(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider, capacity=2)
    now, start = datetime.now(UTC), future_slot(days=3, hour=10)

    slot, people = free_slot(service, start, now=now, refusal=words, quantity=2)

    assert people == [None] and slot.start == start and slot.remaining == 2


def test_a_full_time_is_refused_in_the_callers_words_and_nothing_is_written(ctx, provider, customer, make_user):
    _venue, service = make_bookable_venue(provider, capacity=1)
    start = future_slot(days=3, hour=10)
    book(make_user(name="Quick Winner"), service, start)
    now = datetime.now(UTC)
    written = []

    with pytest.raises(SlotUnavailable, match=r"^gone$"):
        reserve(service, start, lambda slot, people: written.append(people), now=now, refusal=words)

    assert written == [] and live_at(service, start) == 1


def test_a_chosen_team_member_who_is_busy_then_is_refused_as_such(ctx, provider, customer, make_user):
    venue, service = make_bookable_venue(provider, capacity=2, team=2)
    start = future_slot(days=3, hour=10)
    first = venue.team[0].id
    book(make_user(name="Quick Winner"), service, start, team_member_id=first)
    now = datetime.now(UTC)

    with pytest.raises(SlotUnavailable, match=r"^busy then$"):
        free_slot(service, start, now=now, refusal=words, team_member_id=first)
    _slot, people = free_slot(service, start, now=now, refusal=words)  # anyone: the other one
    assert people == [venue.team[1].id]


def test_fewer_free_team_members_than_places_is_refused(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider, capacity=3, team=1)
    now, start = datetime.now(UTC), future_slot(days=3, hour=10)

    with pytest.raises(SlotUnavailable, match=r"^gone$"):
        free_slot(service, start, now=now, refusal=words, quantity=2)


def test_a_hold_that_ran_out_stops_counting_when_its_team_member_is_named(ctx, provider, customer, make_user):
    venue, service = make_bookable_venue(provider, capacity=1, team=1)
    member = venue.team[0].id
    start = future_slot(days=3, hour=10)
    stale = book(make_user(name="Slow Payer"), service, start, team_member_id=member, confirm=False)
    now = datetime.now(UTC)
    stale.order.hold_expires_at = stale.hold_expires_at = now - timedelta(minutes=1)
    db.session.flush()
    write = holds_for(customer, service, now=now)

    # The engine already ignores the run-out hold, but it still holds its team member in the
    # database: the exclusion constraint refuses, and the transaction stays usable.
    with pytest.raises(SlotUnavailable, match=r"^gone just now$"):
        reserve(service, start, write, now=now, refusal=words)
    assert db.session.get(Order, stale.order_id).status == OrderStatus.PENDING_PAYMENT

    [held] = reserve(service, start, write, now=now, refusal=words, expire_for=[member])

    assert held.team_member_id == member
    db.session.refresh(stale)
    assert stale.status == BookingStatus.EXPIRED
    assert db.session.get(Order, stale.order_id).status == OrderStatus.EXPIRED


def test_a_move_leaves_its_own_booking_out_and_keeps_its_team_member_when_free(ctx, provider, customer):
    venue, service = make_bookable_venue(provider, capacity=1, team=2)
    start = future_slot(days=3, hour=10)
    second = venue.team[1].id
    booking = book(customer, service, start, team_member_id=second)
    now = datetime.now(UTC)

    with pytest.raises(SlotUnavailable, match=r"^gone$"):  # its one place is the booking's own
        free_slot(service, start, now=now, refusal=words)
    _slot, people = free_slot(service, start, now=now, refusal=words, quantity=1, moving=booking)
    assert people == [second]
    _slot, people = free_slot(service, start + timedelta(hours=2), now=now, refusal=words, moving=booking)
    assert people == [second]  # its own first, though another is free too


def test_other_database_errors_pass_through_and_the_transaction_stays_usable(ctx, provider, customer, make_user):
    _venue, service = make_bookable_venue(provider, capacity=2)
    start = future_slot(days=3, hour=10)
    taken = book(make_user(name="Quick Winner"), service, start)
    now = datetime.now(UTC)
    write = holds_for(customer, service, now=now)

    def same_reference(slot, people):
        [booking] = write(slot, people)
        booking.reference = taken.reference

    with pytest.raises(IntegrityError):
        reserve(service, start, same_reference, now=now, refusal=words)
    # Another unique index the caller names means the time is taken: refused, with no words.
    with pytest.raises(SlotUnavailable, match=r"^$"), write_or_refuse(also="uq_bookings_reference"):
        same_reference(free_slot(service, start, now=now, refusal=words)[0], [None])

    assert live_at(service, start) == 1  # usable: it still reads
