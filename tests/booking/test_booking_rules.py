"""Booking rules at the service layer: the cancellation policy, the lifecycle table, holds
and their expiry, checkout's all-or-nothing, cart rules, DST and team members."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.booking import cart, lifecycle, order_lifecycle
from app.booking.availability import find_slot, get_slots
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.booking.models import Booking, BookingStatus, CartItem, Order, OrderStatus
from app.booking.policy import describe_policy, quote_cancellation
from app.checkout import checkout
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.platform.timefmt import local_start, moment_label
from app.venues.hours import Range
from app.venues.lists import add_team_member
from app.venues.models import VenueStatus
from app.venues.service import set_day_hours
from tests.booking.helpers import future_slot, make_bookable_venue

LONDON = ZoneInfo("Europe/London")
PRICE = 6000  # the helper's service: 60 minutes, £60.00


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)


def owner_of(user) -> cart.CartOwner:
    return cart.CartOwner(user_id=user.id)


def add(user, service, starts_at, *, quantity=1, member=None, now=None) -> CartItem:
    return cart.add_item(
        owner_of(user), service_id=service.id, starts_at=starts_at, quantity=quantity, team_member_id=member, now=now
    )


def book(user, service, starts_at, *, quantity=1, member=None, now=None) -> Order:
    add(user, service, starts_at, quantity=quantity, member=member, now=now)
    return checkout.checkout(user, now=now)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- cancellation policy -----------------------------------------------------------------------

START = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
paid_amounts = st.integers(min_value=0, max_value=10_000_000)
free_hours = st.integers(min_value=0, max_value=720)
fee_percents = st.one_of(st.none(), st.integers(min_value=0, max_value=100))
# Minutes before the start at which the customer cancels (negative: after it started).
minutes_before = st.integers(min_value=-3 * 24 * 60, max_value=35 * 24 * 60)


def quote(paid, hours, fee, before):
    return quote_cancellation(
        paid_minor=paid,
        starts_at=START,
        now=START - timedelta(minutes=before),
        free_hours=hours,
        late_fee_percent=fee,
    )


@settings(max_examples=300, deadline=None)
@given(paid=paid_amounts, hours=free_hours, fee=fee_percents, before=minutes_before)
def test_a_quote_never_loses_or_invents_money(paid, hours, fee, before):
    q = quote(paid, hours, fee, before)
    assert q.refund_minor >= 0 and q.fee_minor >= 0
    if q.allowed:
        assert q.refund_minor + q.fee_minor == paid
    else:
        assert (q.refund_minor, q.fee_minor) == (0, 0)
        assert q.reason
    assert q.free_until == START - timedelta(hours=hours)


@settings(max_examples=200, deadline=None)
@given(paid=paid_amounts, hours=free_hours, fee=fee_percents, data=st.data())
def test_before_the_deadline_everything_comes_back(paid, hours, fee, data):
    before = data.draw(st.integers(min_value=hours * 60 + 1, max_value=hours * 60 + 30 * 24 * 60))
    q = quote(paid, hours, fee, before)
    assert q.allowed and q.refund_minor == paid and q.fee_minor == 0


@settings(max_examples=200, deadline=None)
@given(paid=paid_amounts, hours=free_hours, fee=fee_percents, after=st.integers(min_value=0, max_value=10_000))
def test_no_cancellation_once_the_appointment_started(paid, hours, fee, after):
    q = quote(paid, hours, fee, -after)
    assert not q.allowed and q.refund_minor == 0
    assert "already started" in q.reason


@settings(max_examples=200, deadline=None)
@given(paid=paid_amounts, hours=st.integers(min_value=1, max_value=720), data=st.data())
def test_without_a_late_fee_there_is_no_late_cancellation(paid, hours, data):
    before = data.draw(st.integers(min_value=1, max_value=hours * 60))  # inside the window, not started
    q = quote(paid, hours, None, before)
    assert not q.allowed and q.refund_minor == 0
    assert f"{hours} hours before" in q.reason


@settings(max_examples=200, deadline=None)
@given(paid=paid_amounts, fee=st.integers(min_value=0, max_value=100))
def test_a_late_fee_rounds_in_the_customers_favour(paid, fee):
    q = quote(paid, 24, fee, 60)
    assert q.allowed
    assert q.fee_minor == paid * fee // 100  # rounded down
    assert q.fee_minor * 100 <= paid * fee


def test_a_late_fee_on_an_odd_amount():
    q = quote(999, 24, 50, 60)
    assert (q.fee_minor, q.refund_minor) == (499, 500)


@pytest.mark.parametrize(
    ("hours", "fee", "wording"),
    [
        (0, 50, "Free cancellation until the appointment starts."),
        (0, None, "Free cancellation until the appointment starts."),
        (1, 50, "Free cancellation up to 1 hour before; after that, a 50% fee."),
        (24, 50, "Free cancellation up to 24 hours before; after that, a 50% fee."),
        (48, 100, "Free cancellation up to 48 hours before; after that, a 100% fee."),
        (24, 0, "Free cancellation up to 24 hours before; after that, still free."),
        (12, None, "Free cancellation up to 12 hours before; after that it can't be cancelled."),
    ],
)
def test_describe_policy_wording(hours, fee, wording):
    assert describe_policy(hours, fee) == wording


# -- the lifecycle table -----------------------------------------------------------------------

# As documented at the top of app/booking/lifecycle.py; anything else is refused.
DOCUMENTED = {
    ("held", "confirm"): "confirmed",
    ("expired", "take_back"): "held",
    ("held", "expire"): "expired",
    ("held", "release"): "expired",
    ("confirmed", "complete"): "completed",
    ("confirmed", "no_show"): "no_show",
    ("confirmed", "cancel_by_customer"): "cancelled_by_customer",
    ("confirmed", "cancel_by_venue"): "cancelled_by_venue",
}
ACTIONS = sorted(lifecycle.TRANSITIONS)


def test_the_transition_table_is_the_documented_one():
    table = {
        (source, action): target for action, (sources, target) in lifecycle.TRANSITIONS.items() for source in sources
    }
    assert table == DOCUMENTED
    assert set(lifecycle.STATUS_LABELS) == set(BookingStatus)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", [s.value for s in BookingStatus])
def test_apply_moves_as_documented_or_changes_nothing(venue_and_service, customer, provider, status, action):
    _venue, service = venue_and_service
    [booking] = book(customer, service, future_slot()).bookings
    booking.status = status
    if status != BookingStatus.HELD:
        booking.hold_expires_at = None
    db.session.flush()
    hold_before = booking.hold_expires_at
    audits_before = count(AuditEntry, AuditEntry.subject_type == "booking", AuditEntry.subject_id == booking.id)

    target = DOCUMENTED.get((status, action))
    if target is None:
        with pytest.raises(InvalidTransition):
            lifecycle.apply(booking, action, actor=provider)
        db.session.flush()
        db.session.refresh(booking)
        assert booking.status == status
        assert booking.hold_expires_at == hold_before
        assert (
            count(AuditEntry, AuditEntry.subject_type == "booking", AuditEntry.subject_id == booking.id)
            == audits_before
        )
    else:
        lifecycle.apply(booking, action, actor=provider, reason="because")
        db.session.flush()
        db.session.refresh(booking)
        assert booking.status == target
        assert booking.hold_expires_at is None or target == BookingStatus.HELD
        [entry] = audit.find_entries(subject_type="booking", subject_id=booking.id)
        assert (entry.action, entry.from_state, entry.to_state) == (f"booking.{action}", status, target)
        assert entry.actor_id == provider.id
        assert entry.data["reference"] == booking.reference


def test_expire_holds_expires_stale_holds_and_their_orders_only(venue_and_service, customer, make_user):
    _venue, service = venue_and_service
    now = datetime.now(UTC)
    fresh = book(customer, service, future_slot(hour=10), now=now)
    stale = book(make_user(), service, future_slot(hour=12), now=now - timedelta(minutes=40))

    assert order_lifecycle.expire_holds(now=now) == 1
    db.session.flush()
    db.session.expire_all()
    assert stale.status == OrderStatus.EXPIRED
    assert [b.status for b in stale.bookings] == [BookingStatus.EXPIRED]
    assert fresh.status == OrderStatus.PENDING_PAYMENT
    assert [b.status for b in fresh.bookings] == [BookingStatus.HELD]
    [entry] = audit.find_entries(subject_type="booking", subject_id=stale.bookings[0].id)
    assert (entry.action, entry.actor_id) == ("booking.expire", None)
    assert order_lifecycle.expire_holds(now=now) == 0  # nothing left to do


def test_availability_ignores_an_expired_hold_before_the_job_runs(venue_and_service, customer):
    _venue, service = venue_and_service
    now = datetime.now(UTC)
    start = future_slot()
    [booking] = book(customer, service, start, now=now).bookings
    assert find_slot(service, start, now=now + timedelta(minutes=29)) is None
    slot = find_slot(service, start, now=now + timedelta(minutes=31))
    assert slot is not None and slot.remaining == 1
    db.session.refresh(booking)
    assert booking.status == BookingStatus.HELD  # nobody cleaned up yet


# -- checkout -----------------------------------------------------------------------------------


def test_checkout_is_all_or_nothing_and_names_the_taken_item(venue_and_service, customer, make_user):
    _venue, service = venue_and_service
    free, taken = future_slot(hour=10), future_slot(hour=14)
    add(customer, service, free)
    add(customer, service, taken)
    book(make_user(), service, taken)

    with pytest.raises(SlotUnavailable) as error:
        checkout.checkout(customer)

    taken_label = f"Deep tissue massage at Calm Rooms, {moment_label(taken, LONDON)} (just taken)"
    assert taken_label in error.value.message
    assert f"{free.astimezone(LONDON):%H:%M}" not in error.value.message
    # Nothing was created, even before the caller rolls back; the cart is kept to fix.
    assert count(Order, Order.customer_id == customer.id) == 0
    assert count(Booking, Booking.customer_id == customer.id) == 0
    assert len(cart.get_items(owner_of(customer))) == 2


def test_one_currency_per_checkout(venue_and_service, customer, make_user):
    _venue, service = venue_and_service
    _euro_venue, euro_service = make_bookable_venue(make_user(role=Role.PROVIDER), name="Calme Paris")
    add(customer, service, future_slot())
    add(customer, euro_service, future_slot())
    euro_service.currency = "EUR"  # changed after it went into the cart: checkout still refuses
    db.session.flush()
    with pytest.raises(ValidationFailed, match="one currency"):
        checkout.checkout(customer)
    assert count(Order, Order.customer_id == customer.id) == 0


def test_an_unverified_customer_cannot_check_out(venue_and_service, make_user):
    _venue, service = venue_and_service
    unverified = make_user(email_verified_at=None)
    add(unverified, service, future_slot())
    with pytest.raises(ValidationFailed, match="Confirm your email"):
        checkout.checkout(unverified)
    assert count(Order, Order.customer_id == unverified.id) == 0


def test_an_empty_cart_cannot_be_checked_out(venue_and_service, customer):
    with pytest.raises(ValidationFailed, match="empty"):
        checkout.checkout(customer)


def test_team_member_any_with_two_people_books_two_different_members(ctx, provider, customer):
    venue, service = make_bookable_venue(provider, capacity=2, team=2)
    order = book(customer, service, future_slot(), quantity=2)
    assert len(order.bookings) == 2
    assert [b.quantity for b in order.bookings] == [1, 1]
    assert {b.team_member_id for b in order.bookings} == {m.id for m in venue.team}
    assert order.total_minor == 2 * PRICE


# -- cart rules ---------------------------------------------------------------------------------


def _invalid_cases():
    """(id, how to break it) -> the add_item arguments, after changing the world if needed."""

    def quantity(n):
        return lambda venue, service, start: {"quantity": n}

    def above_remaining(venue, service, start):
        service.capacity = 3
        return {"quantity": 4}

    def past(venue, service, start):
        return {"starts_at": future_slot(days=-1)}

    def off_grid(venue, service, start):
        return {"starts_at": start + timedelta(minutes=7)}

    def naive(venue, service, start):
        return {"starts_at": start.replace(tzinfo=None)}

    def inactive(venue, service, start):
        service.is_active = False
        return {}

    def not_approved(venue, service, start):
        venue.status = VenueStatus.SUSPENDED
        return {}

    def unknown_member(venue, service, start):
        return {"member": 999_999}

    def member_of_another_service(venue, service, start):
        member = add_team_member(venue, name="Nail artist", title="", bio="", service_ids=[])
        return {"member": member.id}

    def group_with_a_chosen_member(venue, service, start):
        service.capacity = 2
        member = add_team_member(venue, name="Ana", title="", bio="", service_ids=[service.id])
        return {"member": member.id, "quantity": 2}

    return [
        ("quantity 0", quantity(0), "Choose between 1 and 20 places."),
        ("quantity 21", quantity(21), "Choose between 1 and 20 places."),
        ("above remaining", above_remaining, "Only 3 places are left at that time."),
        ("past time", past, "That time has passed."),
        ("off-grid time", off_grid, "That time is no longer available."),
        ("no time zone", naive, "That time is not valid."),
        ("inactive service", inactive, "That service can't be booked."),
        ("venue not approved", not_approved, "That service can't be booked."),
        ("unknown team member", unknown_member, "That team member doesn't perform this service."),
        ("member of another service", member_of_another_service, "That team member doesn't perform this service."),
        ("group with a chosen member", group_with_a_chosen_member, "One person per booking with a chosen team member."),
    ]


@pytest.mark.parametrize(
    ("breaker", "message"), [c[1:] for c in _invalid_cases()], ids=[c[0] for c in _invalid_cases()]
)
def test_an_invalid_cart_item_is_refused_with_a_message(venue_and_service, customer, breaker, message):
    venue, service = venue_and_service
    start = future_slot()
    args = {"starts_at": start, "quantity": 1, "member": None}
    args.update(breaker(venue, service, start))
    db.session.flush()
    with pytest.raises(CartItemInvalid) as error:
        add(customer, service, args["starts_at"], quantity=args["quantity"], member=args["member"])
    assert error.value.message == message
    assert cart.get_items(owner_of(customer)) == []


def test_a_cart_holds_at_most_twenty_items(venue_and_service, customer):
    _venue, service = venue_and_service
    starts = [future_slot(days=2 + n // 8, hour=9 + n % 8) for n in range(21)]
    for start in starts[:20]:
        add(customer, service, start)
    with pytest.raises(CartItemInvalid, match="at most 20 items"):
        add(customer, service, starts[20])
    assert len(cart.get_items(owner_of(customer))) == 20


def test_signing_in_merges_the_anonymous_cart_and_drops_duplicates(venue_and_service, customer):
    _venue, service = venue_and_service
    first, second = future_slot(hour=10), future_slot(hour=12)
    add(customer, service, first)
    anonymous = cart.CartOwner(token="t0ken")
    for start in (first, second):
        cart.add_item(anonymous, service_id=service.id, starts_at=start, quantity=1, team_member_id=None)

    assert cart.merge_into_user("t0ken", customer.id) == 1
    db.session.flush()
    assert sorted(i.starts_at for i in cart.get_items(owner_of(customer))) == [first, second]
    assert cart.get_items(anonymous) == []
    assert count(CartItem, CartItem.cart_token == "t0ken") == 0
    assert cart.merge_into_user(None, customer.id) == 0


def test_purge_removes_only_items_older_than_a_day(venue_and_service, customer):
    _venue, service = venue_and_service
    now = datetime.now(UTC)
    old = add(customer, service, future_slot(hour=10), now=now - timedelta(hours=25))
    recent = add(customer, service, future_slot(hour=11), now=now - timedelta(hours=23))
    fresh = add(customer, service, future_slot(hour=12))
    assert [i.id for i in cart.get_items(owner_of(customer))] == [recent.id, fresh.id]  # old is already gone
    assert cart.purge_expired(now=now) == 1
    remaining = db.session.scalars(select(CartItem.id).where(CartItem.user_id == customer.id)).all()
    assert sorted(remaining) == sorted([recent.id, fresh.id])
    assert old.id not in remaining


def test_the_cart_flags_an_item_whose_slot_was_taken(venue_and_service, customer, make_user):
    _venue, service = venue_and_service
    taken, free = future_slot(hour=10), future_slot(hour=12)
    add(customer, service, taken)
    add(customer, service, free)
    book(make_user(), service, taken)

    view = cart.view_cart(owner_of(customer))
    problems = {line.item.starts_at: line.problem for line in view.lines}
    assert problems == {taken: "That time is no longer available.", free: None}
    assert view.total_minor == PRICE
    assert view.groups[0].total_minor == PRICE
    assert not view.bookable
    assert view.currency == "GBP"


# -- DST (reminders are tested in tests/notifications/) ---------------------------------------


def test_a_booking_in_the_repeated_autumn_hour_keeps_the_occurrence_chosen(ctx, provider, customer):
    """On 2026-10-25 London's clocks go back: 01:00-02:00 happens twice (BST, then GMT), and
    both 01:30s are offered; booking the first leaves the second free."""
    venue, service = make_bookable_venue(provider)
    set_day_hours(venue, date(2026, 10, 25).weekday(), [Range(0, 6 * 60)])
    db.session.flush()
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    day = date(2026, 10, 25)

    def offered() -> list[str]:
        return [s.start.astimezone(LONDON).strftime("%H:%M %Z") for s in get_slots(service, day, now=now)]

    before = offered()
    assert "01:30 BST" in before and "01:30 GMT" in before
    assert len(before) == len(set(before))

    wanted = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON)  # fold=0: the first 01:30, in BST
    order = book(customer, service, wanted, now=now)
    db.session.expire_all()
    stored = db.session.scalars(select(Booking).where(Booking.order_id == order.id)).one()
    assert stored.starts_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert stored.ends_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 60 real minutes
    assert local_start(stored).strftime("%H:%M %Z") == "01:30 BST"

    after = offered()
    assert "01:30 BST" not in after and "01:00 GMT" not in after  # taken: 00:30-01:30 UTC
    assert "01:30 GMT" in after  # the second 01:30 starts as the booking ends

    second = datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON)  # the repeated 01:30, in GMT
    later = book(customer, service, second, now=now)
    stored = db.session.scalars(select(Booking).where(Booking.order_id == later.id)).one()
    assert stored.starts_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_a_cart_refuses_a_second_currency(ctx, provider, make_user, customer):
    from app.booking import cart
    from app.booking.errors import CartItemInvalid
    from tests.booking.helpers import future_slot, make_bookable_venue

    _venue, pounds = make_bookable_venue(provider, name="Pound Spa")
    _other, euros = make_bookable_venue(make_user(role="provider"), name="Euro Spa")
    euros.currency = "EUR"
    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(owner, service_id=pounds.id, starts_at=future_slot(), quantity=1, team_member_id=None)
    with pytest.raises(CartItemInvalid, match="one currency"):
        cart.add_item(owner, service_id=euros.id, starts_at=future_slot(hour=11), quantity=1, team_member_id=None)
    assert len(cart.get_items(owner)) == 1
