"""Memberships (docs/memberships.md), the Demo path end to end: a plan, joining through the Demo
gateway (the card saved), each month renewed by the job charging that card, a declined renewal
(past due, a grace, then paused), cancelling at the end of the month, and what a member gets at
checkout: the month's included sessions (£0) and the member's price on the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.booking import cart
from app.booking.models import OrderStatus
from app.checkout import checkout
from app.memberships import cancelling, plans, service
from app.memberships.models import Membership, MembershipPeriod, MembershipStatus, PeriodStatus
from app.packages import service as packages
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import Payment, PaymentStatus
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.payouts.helpers import connect, transfers_of


@pytest.fixture
def venue_and_service(ctx, provider):
    venue, service_ = make_bookable_venue(provider, capacity=3)
    connect(venue)
    return venue, service_


@pytest.fixture
def plan(venue_and_service):
    venue, service_ = venue_and_service
    return plans.save_plan(
        venue,
        plans.PlanInput(
            name="Calm club",
            price_minor=9900,
            included_service_id=service_.id,
            included_sessions=2,
            discount_percent=10,
        ),
    )


def join(customer, plan, card: str = "4242") -> Membership:
    membership = service.start_membership(customer, plan)
    first = service.last_period(membership)
    assert pay_by_demo_card(first.order, card_last4=card) == "paid: bookings confirmed"
    db.session.flush()
    return membership


def add(customer, service_, starts_at, quantity: int = 1):
    owner = cart.CartOwner(user_id=customer.id)
    return cart.add_item(owner, service_id=service_.id, starts_at=starts_at, quantity=quantity, team_member_id=None)


def check_out(customer, service_, starts_at, quantity: int = 1):
    add(customer, service_, starts_at, quantity)
    return checkout.checkout(customer)


# -- plans --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"price_minor": 0}, "price"),
        ({"included_sessions": 21}, "included_sessions"),
        ({"included_service_id": -1}, "included_service_id"),
        ({"discount_percent": 51}, "discount_percent"),
        ({"included_sessions": 0, "discount_percent": 0}, None),
    ],
)
def test_a_bad_plan_is_refused_and_nothing_is_saved(venue_and_service, change, field):
    venue, service_ = venue_and_service
    data = {
        "name": "Club",
        "price_minor": 5000,
        "included_service_id": service_.id,
        "included_sessions": 1,
        "discount_percent": 0,
        **change,
    }
    with pytest.raises(ValidationFailed) as refused:
        plans.save_plan(venue, plans.PlanInput(**data))
    assert refused.value.field == field
    assert plans.plans_of(venue.id) == []


# -- joining ------------------------------------------------------------------------------------------


def test_joining_pays_the_first_month_saves_the_card_and_grants_its_sessions(customer, plan):
    membership = join(customer, plan)
    assert membership.status == MembershipStatus.ACTIVE
    [period] = service.periods_of(membership.id)
    assert period.status == PeriodStatus.PAID and period.number == 1
    assert membership.current_period_end == period.ends_at > period.starts_at + timedelta(days=27)
    [held] = packages.held_by(customer.id, now=datetime.now(UTC))
    assert (held.left, held.holding.expires_at) == (2, period.ends_at)
    assert service.benefits_of(customer.id, now=datetime.now(UTC)) == {plan.venue_id: membership}
    [transfer] = transfers_of(period.order)
    assert transfer.gross_minor == 9900 and transfer.commission_minor > 0  # the venue is paid each month


def test_one_membership_per_venue_and_a_switched_off_plan_is_not_joined(customer, plan):
    join(customer, plan)
    with pytest.raises(InvalidTransition, match="already a member"):
        service.start_membership(customer, plan)
    plan.is_active = False
    with pytest.raises(InvalidTransition, match="isn't offered"):
        service.start_membership(customer, plan)


def test_an_unpaid_join_gives_nothing(customer, plan):
    membership = service.start_membership(customer, plan)
    assert membership.status == MembershipStatus.PENDING
    assert service.benefits_of(customer.id, now=datetime.now(UTC)) == {}


# -- what a member gets ---------------------------------------------------------------------------------


def test_a_member_books_included_sessions_free_then_pays_the_member_price(customer, plan, venue_and_service):
    _venue, service_ = venue_and_service
    join(customer, plan)
    order = check_out(customer, service_, future_slot(days=2), quantity=2)
    assert order.status == OrderStatus.PAID and order.bookings[0].unit_price_minor == 0  # both included sessions
    order = check_out(customer, service_, future_slot(days=3))
    assert order.bookings[0].unit_price_minor == service.member_price(service_.price_minor, 10)
    assert order.bookings[0].unit_price_minor == service_.price_minor - service_.price_minor // 10


def test_a_non_member_pays_the_usual_price(customer, plan, venue_and_service, make_user):
    _venue, service_ = venue_and_service
    join(customer, plan)
    other = make_user(email="other@example.com")
    order = check_out(other, service_, future_slot())
    assert order.bookings[0].unit_price_minor == service_.price_minor


# -- renewals -------------------------------------------------------------------------------------------


def test_the_job_renews_each_month_with_the_saved_card_once(customer, plan):
    membership = join(customer, plan)
    end = membership.current_period_end
    outcomes = service.renew_due(end + timedelta(minutes=5))
    assert outcomes == [f"membership {membership.id}: month 2 paid"]
    assert service.renew_due(end + timedelta(minutes=10)) == []  # nothing due again
    db.session.expire_all()
    periods = service.periods_of(membership.id)
    assert [(p.number, p.status) for p in periods] == [(2, PeriodStatus.PAID), (1, PeriodStatus.PAID)]
    assert periods[0].starts_at == end and membership.current_period_end == periods[0].ends_at
    assert membership.status == MembershipStatus.ACTIVE
    [transfer] = transfers_of(periods[0].order)
    assert transfer.gross_minor == 9900
    # The new month's sessions: two more, ending with it.
    held = packages.held_by(customer.id, now=end + timedelta(minutes=10))
    assert sorted(h.left for h in held if not h.expired) == [2]


def test_a_declined_renewal_is_past_due_with_a_grace_then_paused(customer, plan):
    membership = join(customer, plan, card="0341")  # saved, but later charges are declined
    end = membership.current_period_end
    [outcome] = service.renew_due(end + timedelta(minutes=5))
    assert "past due" in outcome
    assert membership.status == MembershipStatus.PAST_DUE
    assert membership.grace_until == end + timedelta(days=service.GRACE_DAYS)
    assert plan.venue_id in service.benefits_of(customer.id, now=end + timedelta(days=1))  # the grace
    assert service.renew_due(end + timedelta(hours=2)) == ["no change: tried within the day"]
    [again] = service.renew_due(end + timedelta(days=1, minutes=10))  # tried again a day later
    assert "past due" in again
    period = service.last_period(membership)
    assert period.attempts == 2 and period.status == PeriodStatus.PENDING and period.problem
    assert service.renew_due(end + timedelta(days=service.GRACE_DAYS, minutes=1)) == [
        f"membership {membership.id}: paused"
    ]
    assert membership.status == MembershipStatus.PAUSED and period.status == PeriodStatus.FAILED
    assert service.benefits_of(customer.id, now=end + timedelta(days=8)) == {}
    failed = db.session.scalar(select(func.count()).select_from(Payment).where(Payment.status == PaymentStatus.FAILED))
    assert failed == 2


def test_cancelling_keeps_the_benefits_to_the_end_of_the_month_then_ends(customer, plan):
    membership = join(customer, plan)
    cancelling.cancel_at_end(membership, customer, now=datetime.now(UTC))
    assert membership.cancel_at_period_end and membership.status == MembershipStatus.ACTIVE
    assert plan.venue_id in service.benefits_of(customer.id, now=datetime.now(UTC))
    with pytest.raises(InvalidTransition, match="already cancelled"):
        cancelling.cancel_at_end(membership, customer, now=datetime.now(UTC))
    end = membership.current_period_end
    assert service.renew_due(end + timedelta(minutes=1)) == [f"membership {membership.id}: ended"]
    assert membership.status == MembershipStatus.CANCELLED and membership.ended_at == end
    assert db.session.scalar(select(func.count()).select_from(MembershipPeriod)) == 1  # never charged again
    assert service.benefits_of(customer.id, now=end + timedelta(minutes=2)) == {}


def test_someone_else_cannot_cancel_your_membership(customer, plan, make_user):
    from app.platform.errors import NotFound

    membership = join(customer, plan)
    with pytest.raises(NotFound):
        cancelling.cancel_at_end(membership, make_user(email="x@example.com"), now=datetime.now(UTC))
    assert not membership.cancel_at_period_end
