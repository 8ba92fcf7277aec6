"""Fairness under concurrency: many workers handle the same reopened times at the same moment,
each on a database connection of its own. Each freed time is offered exactly once, to the
first in line whom it suits; a checkout racing the offer for the same time leaves exactly
one holder.

These tests really commit, like tests/checkout/test_overbooking.py, whose committed-data
helpers and fixtures they use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.booking import cart, lifecycle, order_lifecycle
from app.booking.errors import SlotUnavailable
from app.booking.models import LIVE_STATUSES, Booking
from app.checkout import checkout
from app.platform.extensions import db
from app.venues.models import Service
from app.waitlist import offers
from app.waitlist import service as waitlist
from app.waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from tests.checkout.test_overbooking import (  # fixtures and committed-data helpers
    jobs_before_the_races,
    made,
    make_users,
    make_venue,
    race_app,
)
from tests.waitlist.helpers import at, open_only, the_day

__all__ = ["jobs_before_the_races", "made", "race_app"]  # fixtures, imported for use here

pytestmark = [pytest.mark.committing, pytest.mark.slow]

WORKERS = 8
WAITING = 5


def confirmed_booking(customer_id: int, service_id: int, hour: int) -> int:
    """A paid booking at ``hour`` on the day (the lifecycle's own path, no gateway rows)."""
    customer = db.session.get(User, customer_id)
    owner = cart.CartOwner(user_id=customer_id)
    cart.add_item(owner, service_id=service_id, starts_at=at(hour), quantity=1, team_member_id=None)
    order = checkout.checkout(customer)
    assert order_lifecycle.confirm_paid(order) == "confirmed"
    db.session.commit()
    return order.bookings[0].id


def full_day_with_a_line(made, hours: tuple[int, ...]) -> tuple[int, list[int], list[int], list[int]]:
    """(service, the bookings filling ``hours``, the customers in line in order, their entries)."""
    venue, service = make_venue(made)
    open_only(venue, hours)
    [booker] = make_users(made, 1)
    db.session.commit()
    service_id = service.id
    bookings = [confirmed_booking(booker, service_id, hour) for hour in hours]
    waiting = make_users(made, WAITING)
    db.session.commit()
    entries = []
    for customer_id in waiting:
        entry = waitlist.join(
            db.session.get(User, customer_id),
            service=db.session.get(Service, service_id),
            day=the_day(),
            window=None,
            team_member_id=None,
        )
        db.session.commit()  # one by one: each joins after the one before
        entries.append(entry.id)
    return service_id, bookings, waiting, entries


def cancel(booking_ids: list[int]) -> None:
    for booking_id in booking_ids:
        booking = db.session.get(Booking, booking_id)
        lifecycle.cancel_by_customer(booking, customer=booking.customer)
    db.session.commit()


def at_once(race_app, works: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    barrier = threading.Barrier(len(works))
    results: list[object] = []
    errors: list[BaseException] = []

    def run(work) -> None:
        with race_app.app_context():
            try:
                db.session.execute(select(1))  # a connection of its own before the start
                barrier.wait(timeout=30)
                results.append(work())
                db.session.commit()
            except BaseException as exc:
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker never finished (deadlock?)"
    return results, errors


def offers_of(service_id: int) -> list[WaitlistOffer]:
    return list(db.session.scalars(select(WaitlistOffer).where(WaitlistOffer.service_id == service_id)))


def test_workers_racing_for_one_freed_time_offer_it_once_to_the_first(race_app, made):
    with race_app.app_context():
        service_id, bookings, waiting, entries = full_day_with_a_line(made, (10,))
        venue_id = db.session.get(Service, service_id).venue_id
        cancel(bookings)
        db.session.remove()

    def worker():
        return len(offers.match_day(venue_id, the_day()))

    made_counts, errors = at_once(race_app, [worker] * WORKERS)
    assert errors == []
    assert sorted(made_counts) == [0] * (WORKERS - 1) + [1]

    with race_app.app_context():
        [offer] = offers_of(service_id)
        assert offer.status == OfferStatus.OPEN and offer.customer_id == waiting[0]
        assert offer.starts_at == at(10)
        statuses = [db.session.get(WaitlistEntry, e).status for e in entries]
        assert statuses == [EntryStatus.OFFERED] + [EntryStatus.WAITING] * (WAITING - 1)
        holds = db.session.scalars(
            select(Booking).where(
                Booking.service_id == service_id, Booking.starts_at == at(10), Booking.status.in_(LIVE_STATUSES)
            )
        ).all()
        assert [h.customer_id for h in holds] == [waiting[0]]
        db.session.remove()


def test_two_freed_times_go_to_the_first_two_in_line(race_app, made):
    with race_app.app_context():
        service_id, bookings, waiting, _entries = full_day_with_a_line(made, (10, 14))
        venue_id = db.session.get(Service, service_id).venue_id
        cancel(bookings)
        db.session.remove()

    _counts, errors = at_once(race_app, [lambda: offers.match_day(venue_id, the_day())] * WORKERS)
    assert errors == []

    with race_app.app_context():
        found = sorted((o.starts_at, o.customer_id) for o in offers_of(service_id))
        assert found == [(at(10), waiting[0]), (at(14), waiting[1])]
        db.session.remove()


def test_a_checkout_racing_the_offer_leaves_one_holder(race_app, made):
    with race_app.app_context():
        service_id, bookings, waiting, _entries = full_day_with_a_line(made, (10,))
        venue_id = db.session.get(Service, service_id).venue_id
        [shopper] = make_users(made, 1)
        db.session.commit()
        cancel(bookings)
        owner = cart.CartOwner(user_id=shopper)
        cart.add_item(owner, service_id=service_id, starts_at=at(10), quantity=1, team_member_id=None)
        db.session.commit()
        db.session.remove()

    def shop():
        try:
            return checkout.checkout(db.session.get(User, shopper)).id
        except SlotUnavailable:
            return None

    _results, errors = at_once(race_app, [shop, lambda: offers.match_day(venue_id, the_day())])
    assert errors == []

    with race_app.app_context():
        holders = db.session.scalars(
            select(Booking.customer_id).where(
                Booking.service_id == service_id, Booking.starts_at == at(10), Booking.status.in_(LIVE_STATUSES)
            )
        ).all()
        assert len(holders) == 1 and holders[0] in (shopper, waiting[0])
        open_now = [o for o in offers_of(service_id) if o.status == OfferStatus.OPEN]
        assert len(open_now) == (1 if holders[0] == waiting[0] else 0)
        db.session.remove()
