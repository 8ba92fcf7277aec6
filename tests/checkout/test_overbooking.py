"""Overbooking is impossible: many customers check out the same slot at the same moment,
each on a database connection of its own, and exactly as many win as the slot has room for.

These tests really commit (the per-test rolled-back transaction would put every thread on
one connection), so they build their data in committed transactions and delete it all in a
``finally``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.accounts.models import Role, User
from app.audit.models import AuditEntry
from app.booking import cart
from app.booking.errors import SlotUnavailable
from app.booking.holds import hold_booking
from app.booking.models import LIVE_STATUSES, Booking, CartItem, Order
from app.booking.reserving import write_or_refuse
from app.checkout import checkout
from app.platform.extensions import db
from app.venues.models import Service, Venue
from app.venues.service import save_service
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.factories import UserFactory

pytestmark = [pytest.mark.committing, pytest.mark.slow]

RACERS = 50


@pytest.fixture(scope="module")
def race_app(app, database_url, tmp_path_factory):
    """An app whose pool gives every racing thread a connection of its own.

    (The default pool, 5 + 10 overflow, would queue 50 threads and serialise the race.)
    Depends on ``app`` so the schema has been migrated.
    """
    race_app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": RACERS + 5, "max_overflow": 5, "pool_timeout": 60},
            # The racers are threads of one process sharing one GIL (and coverage's tracer in
            # `make test`): the last in line waits for every other racer's Python work, which on
            # a busy 2-core machine can pass the 5 s lock timeout meant for one request. These
            # tests prove who wins, not how fast (bench/checkout measures that).
            "DB_LOCK_TIMEOUT_MS": 60_000,
            "UPLOAD_ROOT": str(tmp_path_factory.mktemp("race-uploads")),
        },
    )
    yield race_app
    with race_app.app_context():
        db.engine.dispose()  # give the server its connections back


# -- committed test data, and its removal ----------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def jobs_before_the_races(race_app):
    """The newest queued job before this module's first test (autouse: taken up front)."""
    with race_app.app_context():
        mark = last_job_id()
        db.session.remove()
    return mark


@dataclass
class Made:
    """Ids of everything a test committed, so the ``finally`` can delete exactly that."""

    user_ids: list[int] = field(default_factory=list)
    venue_ids: list[int] = field(default_factory=list)
    last_job_id: int = 0  # jobs after this one were enqueued by the test (search reindexing)


def last_job_id() -> int:
    return db.session.scalar(text("SELECT coalesce(max(id), 0) FROM procrastinate_jobs"))


@pytest.fixture
def made(race_app):
    with race_app.app_context():
        made = Made(last_job_id=last_job_id())
        db.session.remove()
    try:
        yield made
    finally:
        clean_up(race_app, made)


def clean_up(race_app, made: Made) -> None:
    with race_app.app_context():
        try:
            users, venues = made.user_ids or [-1], made.venue_ids or [-1]
            booking_ids = list(
                db.session.scalars(
                    select(Booking.id).where(or_(Booking.venue_id.in_(venues), Booking.customer_id.in_(users)))
                )
            )
            db.session.execute(
                delete(AuditEntry).where(
                    or_(
                        AuditEntry.actor_id.in_(users),
                        (AuditEntry.subject_type == "booking") & AuditEntry.subject_id.in_(booking_ids or [-1]),
                        (AuditEntry.subject_type == "venue") & AuditEntry.subject_id.in_(venues),
                    )
                )
            )
            db.session.execute(delete(Booking).where(Booking.id.in_(booking_ids or [-1])))
            db.session.execute(delete(Order).where(Order.customer_id.in_(users)))
            db.session.execute(delete(CartItem).where(CartItem.user_id.in_(users)))
            db.session.execute(delete(Venue).where(Venue.id.in_(venues)))  # services, hours, team cascade
            db.session.execute(delete(User).where(User.id.in_(users)))
            db.session.commit()
            # Committed venue changes queue jobs (search reindexing); this database belongs to
            # this test process, so every job after the mark is ours.
            db.session.execute(text("DELETE FROM procrastinate_jobs WHERE id > :last"), {"last": made.last_job_id})
            db.session.commit()
        finally:
            db.session.remove()


def make_users(made: Made, count: int, *, role: str = Role.CUSTOMER) -> list[int]:
    """Verified users (committed by the caller); their ids are recorded for clean-up."""
    tag = f"{time.monotonic_ns()}"
    users = [UserFactory(email=f"race-{tag}-{n}@example.com", role=role) for n in range(count)]
    ids = [u.id for u in users]
    made.user_ids.extend(ids)
    return ids


def make_venue(made: Made, *, capacity: int = 1, team: int = 0) -> tuple[Venue, Service]:
    [owner_id] = make_users(made, 1, role=Role.PROVIDER)
    venue, service = make_bookable_venue(db.session.get(User, owner_id), capacity=capacity, team=team)
    made.venue_ids.append(venue.id)
    return venue, service


def add_to_cart(customer_id: int, service_id: int, starts_at: datetime) -> None:
    cart.add_item(
        cart.CartOwner(user_id=customer_id), service_id=service_id, starts_at=starts_at, quantity=1, team_member_id=None
    )


def live_bookings(service_ids: list[int], starts_at: datetime) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking).where(
                Booking.service_id.in_(service_ids),
                Booking.starts_at == starts_at,
                Booking.status.in_(list(LIVE_STATUSES)),
            )
        )
    )


# -- the race --------------------------------------------------------------------------------


@dataclass
class RaceResult:
    won: dict[int, int] = field(default_factory=dict)  # customer id -> order id
    refused: list[int] = field(default_factory=list)  # customer ids refused with SlotUnavailable
    messages: list[str] = field(default_factory=list)  # what each refused customer was told
    errors: list[tuple[int, BaseException]] = field(default_factory=list)
    seconds: float = 0.0  # from the barrier opening to the last commit or refusal
    connections: int = 0  # most pool connections checked out at once while lining up


def open_connections(race_app, count: int, *, patience: float = 60.0) -> None:
    """Open ``count`` connections into the pool before the race.

    The test server is shared (other suites, max_connections 100): when it is full, wait
    for room here, so no racer fails to connect; then the racers only check connections
    out of the pool.
    """
    with race_app.app_context():
        connections = []
        deadline = time.monotonic() + patience
        try:
            while len(connections) < count:
                try:
                    connections.append(db.engine.connect())
                except OperationalError as exc:
                    if "too many clients" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.25)
        finally:
            for connection in connections:
                connection.close()  # back into the pool (pool_size > count), still open


def race(race_app, customer_ids: list[int]) -> RaceResult:
    """Every customer checks out their (already filled) cart at once, one thread and one
    database connection each; a barrier lines them up before the start."""
    open_connections(race_app, len(customer_ids))
    result = RaceResult()
    barrier = threading.Barrier(len(customer_ids))
    lock = threading.Lock()
    started: list[float] = []
    finished: list[float] = []

    def run(customer_id: int) -> None:
        with race_app.app_context():
            try:
                # Loading the customer checks this thread's connection out of the pool; it is
                # held (in an open transaction) until this thread commits or rolls back.
                customer = db.session.get(User, customer_id)
                with lock:
                    result.connections = max(result.connections, db.engine.pool.checkedout())
                try:
                    barrier.wait(timeout=60)
                except threading.BrokenBarrierError:
                    return  # another thread failed before the start; it reports why
                with lock:
                    started.append(time.perf_counter())
                try:
                    order = checkout.checkout(customer)
                    order_id = order.id
                    db.session.commit()
                    with lock:
                        result.won[customer_id] = order_id
                except SlotUnavailable as exc:
                    db.session.rollback()
                    with lock:
                        result.refused.append(customer_id)
                        result.messages.append(exc.message)
                with lock:
                    finished.append(time.perf_counter())
            except BaseException as exc:  # anything but a clean refusal fails the test
                barrier.abort()
                db.session.rollback()
                with lock:
                    result.errors.append((customer_id, exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(cid,), name=f"racer-{cid}") for cid in customer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer never finished (deadlock?)"
    with race_app.app_context():
        db.engine.dispose()  # hand the server its connections back between races
    if started and finished:
        result.seconds = max(finished) - min(started)
    return result


def assert_clean(result: RaceResult, racers: int) -> None:
    assert result.errors == [], f"racers failed with errors other than SlotUnavailable: {result.errors!r}"
    assert len(result.won) + len(result.refused) == racers


# -- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [1, 3])
def test_fifty_simultaneous_checkouts_never_overbook_a_slot(race_app, made, capacity):
    start = future_slot(days=4)
    with race_app.app_context():
        _venue, service = make_venue(made, capacity=capacity)
        service_id = service.id
        customers = make_users(made, RACERS)
        db.session.commit()
        for customer_id in customers:  # carts are filled one after another, before the race
            add_to_cart(customer_id, service_id, start)
        db.session.commit()
        db.session.remove()

    result = race(race_app, customers)
    print(f"\n{RACERS}-way race, capacity {capacity}: {result.seconds:.3f} s")

    assert_clean(result, RACERS)
    assert result.connections >= RACERS  # every racer really held a connection of its own
    assert len(result.won) == capacity
    assert len(result.refused) == RACERS - capacity
    with race_app.app_context():
        bookings = live_bookings([service_id], start)
        assert len(bookings) == capacity
        assert sum(b.quantity for b in bookings) == capacity
        assert {b.customer_id for b in bookings} == set(result.won)
        # Losers were rolled back whole: no order, and their cart is still there to fix.
        orders = db.session.scalars(select(Order).where(Order.customer_id.in_(customers))).all()
        assert sorted(o.id for o in orders) == sorted(result.won.values())
        for loser in result.refused[:3]:
            assert len(cart.get_items(cart.CartOwner(user_id=loser))) == 1
        db.session.remove()


def test_one_team_member_is_never_double_booked_even_with_spare_capacity(race_app, made):
    start = future_slot(days=5)
    with race_app.app_context():
        venue, service = make_venue(made, capacity=5, team=1)
        service_id, member_id = service.id, venue.team[0].id
        customers = make_users(made, RACERS)
        db.session.commit()
        for customer_id in customers:
            add_to_cart(customer_id, service_id, start)
        db.session.commit()
        db.session.remove()

    result = race(race_app, customers)

    assert_clean(result, RACERS)
    assert len(result.won) == 1
    with race_app.app_context():
        [booking] = live_bookings([service_id], start)
        assert booking.team_member_id == member_id
        db.session.remove()


def test_one_team_member_shared_by_two_services_is_never_double_booked(race_app, made):
    """The services' row locks don't serialise two different services; the exclusion
    constraint does, and a checkout that loses to it gets a clean SlotUnavailable."""
    start = future_slot(days=6)
    with race_app.app_context():
        venue, first = make_venue(made, capacity=5, team=1)
        second = save_service(
            venue,
            None,
            name="Hot stone massage",
            description="",
            category_id=None,
            duration_minutes=60,
            price_minor=7000,
            capacity=5,
            buffer_minutes=0,
            is_active=True,
        )
        member = venue.team[0]
        member.services.append(second)
        service_ids, member_id = [first.id, second.id], member.id
        customers = make_users(made, RACERS)
        db.session.commit()
        for n, customer_id in enumerate(customers):
            add_to_cart(customer_id, service_ids[n % 2], start)
        db.session.commit()
        db.session.remove()

    result = race(race_app, customers)

    assert_clean(result, RACERS)
    assert len(result.won) == 1
    with race_app.app_context():
        [booking] = live_bookings(service_ids, start)
        assert booking.team_member_id == member_id
        db.session.remove()
    # Whether a loser was stopped by the first look, the re-check under the lock or the
    # exclusion constraint, it is told which item was taken.
    names = ("Deep tissue massage", "Hot stone massage")
    assert len(result.messages) == RACERS - 1
    assert all(any(f"{name} at Calm Rooms" in message for name in names) for message in result.messages)


def test_a_checkout_of_a_taken_time_waits_for_no_lock(race_app, made):
    """While another checkout holds the service's row lock, a customer whose time is already
    taken is refused at once: the first look reads without locks. (A lock timeout would fail
    this test with an OperationalError instead of SlotUnavailable.)"""
    start = future_slot(days=9)
    with race_app.app_context():
        _venue, service = make_venue(made, capacity=1)
        service_id = service.id
        winner, loser = make_users(made, 2)
        db.session.commit()
        for customer_id in (winner, loser):
            add_to_cart(customer_id, service_id, start)
        db.session.commit()
        checkout.checkout(db.session.get(User, winner))
        db.session.commit()
        db.session.remove()

        holder = db.engine.connect()
        try:
            holder.execute(select(Service.id).where(Service.id == service_id).with_for_update())  # lock held
            db.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(SlotUnavailable, match=r"Deep tissue massage at Calm Rooms.*just taken"):
                checkout.checkout(db.session.get(User, loser))
            db.session.rollback()
        finally:
            holder.rollback()
            holder.close()
            db.session.remove()


def test_carts_holding_two_services_in_opposite_orders_do_not_deadlock(race_app, made):
    """Checkout locks services in id order, whatever the order of the cart."""
    rounds = 8
    with race_app.app_context():
        venue, first = make_venue(made, capacity=1)
        second = save_service(
            venue,
            None,
            name="Facial",
            description="",
            category_id=None,
            duration_minutes=60,
            price_minor=5000,
            capacity=1,
            buffer_minutes=0,
            is_active=True,
        )
        service_ids = [first.id, second.id]
        forward, backward = make_users(made, 2)
        db.session.commit()
        db.session.remove()

    for n in range(rounds):
        start = future_slot(days=7 + n)
        with race_app.app_context():
            # Separate commits give the items distinct created_at, so the carts really are
            # in opposite orders.
            for customer_id, services in ((forward, service_ids), (backward, service_ids[::-1])):
                for service_id in services:
                    add_to_cart(customer_id, service_id, start)
                    db.session.commit()
            assert [i.service_id for i in cart.get_items(cart.CartOwner(user_id=backward))] == service_ids[::-1]
            db.session.remove()

        result = race(race_app, [forward, backward])

        assert_clean(result, 2)
        assert len(result.won) == 1 and len(result.refused) == 1
        with race_app.app_context():
            bookings = live_bookings(service_ids, start)
            # One winner per slot, and it is the same customer for both: all or nothing.
            assert sorted(b.service_id for b in bookings) == service_ids
            assert {b.customer_id for b in bookings} == set(result.won)
            db.session.execute(delete(CartItem).where(CartItem.user_id.in_([forward, backward])))
            db.session.commit()
            db.session.remove()


def test_the_race_left_nothing_behind(race_app, jobs_before_the_races):
    """Every test above deleted what it made (a guard against leaking committed rows; users
    can only go once their orders and bookings have gone)."""
    with race_app.app_context():
        leftovers = db.session.scalar(
            select(func.count()).select_from(User).where(User.email.like("race-%@example.com"))
        )
        assert leftovers == 0
        jobs = db.session.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE id > :mark"), {"mark": jobs_before_the_races}
        )
        assert jobs == 0
        db.session.remove()


def test_a_deadlock_between_two_writers_is_a_clean_refusal_for_one(race_app, made):
    """Two writers each hold a row the other's next row overlaps (two team members booked in
    opposite orders): PostgreSQL breaks the wait by refusing one. That one gets SlotUnavailable
    with its savepoint undone (app/booking/reserving.write_or_refuse); the other books both."""
    start = future_slot(days=7)
    with race_app.app_context():
        venue, service = make_venue(made, team=2)
        first, second = (member.id for member in venue.team)
        customers = make_users(made, 2)
        db.session.commit()
        service_id = service.id
        db.session.remove()
    both_wrote_once = threading.Barrier(2, timeout=30)
    outcome: dict[int, str] = {}

    def writer(n: int, members: tuple[int, int]) -> None:
        with race_app.app_context():
            try:
                service = db.session.get(Service, service_id)
                hold_until = start  # never reached: the test ends long before
                order = Order(customer_id=customers[n], currency="GBP", total_minor=0, hold_expires_at=hold_until)
                db.session.add(order)
                db.session.flush()
                with write_or_refuse(now=start):
                    for step, member_id in enumerate(members):
                        db.session.add(
                            hold_booking(
                                service,
                                order_id=order.id,
                                customer_id=customers[n],
                                team_member_id=member_id,
                                starts_at=start,
                                ends_at=start + timedelta(minutes=service.duration_minutes),
                                hold_until=hold_until,
                            )
                        )
                        db.session.flush()
                        if step == 0:
                            both_wrote_once.wait()
                db.session.commit()
                outcome[n] = "booked"
            except SlotUnavailable:
                db.session.rollback()
                outcome[n] = "refused"
            except Exception as error:  # anything else fails the test below, by name
                db.session.rollback()
                outcome[n] = repr(error)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=writer, args=(0, (first, second))),
        threading.Thread(target=writer, args=(1, (second, first))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcome.values()) == ["booked", "refused"], outcome
    with race_app.app_context():
        live = live_bookings([service_id], start)
        assert sorted(b.team_member_id for b in live) == sorted([first, second])
        assert len({b.customer_id for b in live}) == 1  # both rows are the winner's
        db.session.remove()
