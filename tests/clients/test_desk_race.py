"""An online checkout and a front-desk booking for the last place, at the same moment, each on
a database connection of its own: exactly one wins, the other is told the time was taken.

These tests really commit, like tests/checkout/test_overbooking.py, whose committed-data
helpers they use.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete

from app.accounts.models import User
from app.booking.errors import SlotUnavailable
from app.booking.models import Order
from app.checkout import checkout
from app.clients import service as clients
from app.clients.desk import book_at_desk
from app.platform.extensions import db
from app.venues.models import Venue
from tests.booking.helpers import future_slot
from tests.checkout.test_overbooking import (  # fixtures and committed-data helpers
    add_to_cart,
    jobs_before_the_races,
    live_bookings,
    made,
    make_users,
    make_venue,
    race_app,
)

__all__ = ["jobs_before_the_races", "made", "race_app"]  # fixtures, imported for use here

pytestmark = [pytest.mark.committing, pytest.mark.slow]

ROUNDS = 6


def race_once(race_app, *, customer_id: int, venue_id: int, client_id: int, service_id: int, staff_id: int, starts_at):
    """Start the checkout and the desk booking together; returns {who: "won" | exception}."""
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def online() -> None:
        person = db.session.get(User, customer_id)
        barrier.wait(timeout=30)
        checkout.checkout(person)

    def desk() -> None:
        venue = db.session.get(Venue, venue_id)
        client = clients.get_client(venue_id, client_id)
        staff = db.session.get(User, staff_id)
        barrier.wait(timeout=30)
        book_at_desk(
            venue,
            client,
            service_id=service_id,
            starts_at=starts_at,
            team_member_id=None,
            staff=staff,
            now=datetime.now(UTC),
        )

    def run(who: str, work) -> None:
        with race_app.app_context():
            try:
                work()
                db.session.commit()
                outcome[who] = "won"
            except BaseException as exc:
                barrier.abort()
                db.session.rollback()
                outcome[who] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in (("online", online), ("desk", desk))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a booking never finished (deadlock?)"
    return outcome


def test_exactly_one_of_checkout_and_desk_wins_the_last_place(race_app, made):
    with race_app.app_context():
        venue, service = make_venue(made, capacity=1)
        venue_id, service_id, staff_id = venue.id, service.id, venue.owner_id
        customers = make_users(made, ROUNDS)
        client_ids = [clients.add_client(venue_id, name=f"Walk-in {n}").id for n in range(ROUNDS)]
        starts = [future_slot(days=5, hour=9 + n) for n in range(ROUNDS)]
        for customer_id, starts_at in zip(customers, starts, strict=True):
            add_to_cart(customer_id, service_id, starts_at)
        db.session.commit()
        db.session.remove()

    winners = []
    try:
        for customer_id, client_id, starts_at in zip(customers, client_ids, starts, strict=True):
            outcome = race_once(
                race_app,
                customer_id=customer_id,
                venue_id=venue_id,
                client_id=client_id,
                service_id=service_id,
                staff_id=staff_id,
                starts_at=starts_at,
            )
            won = [who for who, result in outcome.items() if result == "won"]
            lost = [result for result in outcome.values() if result != "won"]
            assert len(won) == 1, outcome
            assert len(lost) == 1 and isinstance(lost[0], SlotUnavailable), outcome
            assert "taken" in lost[0].message
            winners.append(won[0])
            with race_app.app_context():
                live = live_bookings([service_id], starts_at)
                assert len(live) == 1
                assert live[0].channel == won[0]
                db.session.remove()
    finally:
        with race_app.app_context():
            # Desk orders have no customer account: remove them by the bookings' venue.
            db.session.execute(delete(Order).where(Order.customer_id.is_(None)))
            db.session.commit()
            db.session.remove()
    # Who wins depends on the scheduler; the point is that each round has one winner.
    assert len(winners) == ROUNDS
