"""Two customers move their bookings into the same free place at the same moment, each on a
database connection of its own: one wins, the other is refused and keeps their booking as it
was. (The service row lock serialises the two; the team-member exclusion constraint is the
last line of defence behind it.)

These tests really commit, like test_overbooking.py, whose committed-data helpers they use.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from app.accounts.models import User
from app.booking.errors import SlotUnavailable
from app.booking.models import Booking, BookingMove
from app.checkout import reschedule
from app.payments.models import PaymentEvent
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot
from tests.checkout.test_overbooking import (  # fixtures and committed-data helpers
    jobs_before_the_races,
    made,
    make_users,
    make_venue,
    race_app,
)

__all__ = ["jobs_before_the_races", "made", "race_app"]  # fixtures, imported for use here

pytestmark = [pytest.mark.committing, pytest.mark.slow]

ROUNDS = 3


def move_at_once(race_app, moves: list[tuple[int, int]], target) -> list[BaseException]:
    """Each (booking id, customer id) moves to ``target`` at once, on a connection of its own."""
    barrier = threading.Barrier(len(moves))
    errors: list[BaseException] = []

    def run(booking_id: int, customer_id: int) -> None:
        with race_app.test_request_context():
            try:
                booking = db.session.get(Booking, booking_id)
                customer = db.session.get(User, customer_id)
                barrier.wait(timeout=30)
                reschedule.move_booking(booking, target, None, by=customer)
                db.session.commit()
            except BaseException as exc:
                barrier.abort()
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=move) for move in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a move never finished (deadlock?)"
    return errors


@pytest.fixture
def payment_events_cleared(race_app):
    """Booking with the demo card commits payment events; this database is this test process's
    own, so every event after the mark is this test's, deleted afterwards."""
    with race_app.app_context():
        mark = db.session.scalar(select(func.coalesce(func.max(PaymentEvent.id), 0)))
        db.session.remove()
    yield
    with race_app.app_context():
        db.session.execute(delete(PaymentEvent).where(PaymentEvent.id > mark))
        db.session.commit()
        db.session.remove()


def test_two_moves_into_one_place_one_wins_and_the_other_booking_is_unchanged(race_app, made, payment_events_cleared):
    with race_app.test_request_context():
        try:
            _venue, service = make_venue(made, capacity=1)
            first_id, second_id = make_users(made, 2)
            db.session.commit()
            bookings = []
            for n, customer_id in enumerate((first_id, second_id)):
                for round_ in range(ROUNDS):
                    start = future_slot(days=6 + round_, hour=9 + 2 * n)
                    bookings.append((book(db.session.get(User, customer_id), service, start).id, customer_id, start))
            db.session.commit()
        finally:
            db.session.remove()

    for round_ in range(ROUNDS):
        pair = [b for b in bookings if b[2].date() == future_slot(days=6 + round_).date()]
        target = future_slot(days=6 + round_, hour=15)
        errors = move_at_once(race_app, [(booking_id, customer_id) for booking_id, customer_id, _ in pair], target)
        assert len(errors) == 1 and isinstance(errors[0], SlotUnavailable), errors
        with race_app.test_request_context():
            try:
                found = {
                    b.id: b for b in db.session.scalars(select(Booking).where(Booking.id.in_([p[0] for p in pair])))
                }
                winners = [p for p in pair if found[p[0]].starts_at == target]
                losers = [p for p in pair if found[p[0]].starts_at != target]
                assert len(winners) == 1 and len(losers) == 1
                [(loser_id, _, loser_start)] = losers
                loser = found[loser_id]
                assert loser.starts_at == loser_start and loser.ends_at == loser_start + timedelta(hours=1)
                assert loser.calendar_sequence == 0
                assert found[winners[0][0]].calendar_sequence == 1
                moves = db.session.scalar(select(func.count()).where(BookingMove.booking_id.in_([p[0] for p in pair])))
                assert moves == 1
            finally:
                db.session.remove()


def test_the_race_left_no_payment_events_behind(race_app):
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaymentEvent)) == 0
        db.session.remove()
