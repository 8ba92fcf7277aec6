"""Memberships: plans, joining, each month paid or failed, grace and pause, cancelling at the end
of the month, and what a member gets (docs/memberships.md).

- **Joining** is an order without bookings held like a checkout's, with the ``Membership``
  (pending) and its first ``MembershipPeriod`` beside it; the caller starts its payment. The
  Stripe gateway makes it a Stripe Billing subscription (its checkout in subscription mode,
  app/memberships/billing.py settles its invoices); the Demo gateway saves the card, and our job
  (``renew_due``) charges it each month.
- **A month paid** (``order_paid`` on a period's order): the period is paid, the membership
  active until the period's end, the grace cleared, and the included sessions of that month
  granted as a package holding (app/packages) of the period's order, without a package, that
  ends with the month: checkout and the front
  desk cover bookings with it, a cancellation in time gives a session back, as for a package.
- **A renewal failed**: the membership is past due, its benefits go on for ``GRACE_DAYS`` (7)
  from the month's start, the Demo card is tried again once a day; after that it is paused (no
  benefits) until a month is paid.
- **Cancelling** (app/memberships/cancelling.py) sets ``cancel_at_period_end``: the benefits last
  to the end of the month paid, then ``renew_due`` ends it (the Stripe subscription is told at once
  and ends itself then).
- **A member's price**: the plan's discount off every treatment at that venue, at checkout
  (``apply_member_prices``) and wherever prices are shown (``benefits_of``, ``member_price``).

The plans a venue offers are app/memberships/plans.py.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.booking import events, order_lifecycle
from app.booking.models import Order, OrderStatus, ReleaseReason
from app.memberships.models import (
    Membership,
    MembershipPeriod,
    MembershipPlan,
    MembershipStatus,
    PeriodStatus,
)
from app.packages.models import PackageHolding
from app.payments.gateway import configured_gateway_name, gateway_named
from app.payments.models import Payment, PaymentKind, PaymentStatus
from app.payments.ports import GatewayError
from app.payments.saved_cards import as_card, get_saved_card, remember_card
from app.platform.errors import InvalidTransition
from app.platform.extensions import db
from app.platform.jobs import job
from app.venues.models import VenueStatus

GRACE_DAYS = 7
RETRY_HOURS = 24
BENEFITS = (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)


def add_month(moment: datetime) -> datetime:
    """The same day and time a month later (the 31st becomes the month's last day); or, with
    ``MEMBERSHIP_DEMO_PERIOD_MINUTES`` set (development), that many minutes later."""
    minutes = current_app.config.get("MEMBERSHIP_DEMO_PERIOD_MINUTES") or 0
    if minutes:
        return moment + timedelta(minutes=minutes)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# -- joining ----------------------------------------------------------------------------------------


def current_of(customer_id: int, venue_id: int) -> Membership | None:
    """The customer's membership of the venue that is not over (pending, active, past due, paused)."""
    return db.session.scalar(
        select(Membership)
        .where(
            Membership.customer_id == customer_id,
            Membership.venue_id == venue_id,
            Membership.status != MembershipStatus.CANCELLED,
        )
        .order_by(Membership.id.desc())
        .limit(1)
    )


def start_membership(customer: User, plan: MembershipPlan, *, now: datetime | None = None) -> Membership:
    """A membership waiting for its first month's payment (its order held like a checkout's). A
    customer holds one membership per venue: a pending one whose order lapsed is ended first."""
    now = now or datetime.now(UTC)
    if not plan.is_active or plan.venue.status != VenueStatus.APPROVED:
        raise InvalidTransition(_("This membership isn't offered any more."))
    held = current_of(customer.id, plan.venue_id)
    if held is not None and held.status == MembershipStatus.PENDING and not _first_order_live(held, now):
        record_ended(held, now=now)  # its first month was never paid
        held = None
    if held is not None:
        raise InvalidTransition(_("You're already a member of %(venue)s.", venue=plan.venue.name))
    hold_until = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    order = order_lifecycle.hold(customer, currency=plan.currency, hold_until=hold_until)
    order.total_minor = plan.price_minor
    service = plan.included_service
    membership = Membership(
        plan_id=plan.id,
        customer_id=customer.id,
        venue_id=plan.venue_id,
        name=plan.name,
        venue_name=plan.venue.name,
        price_minor=plan.price_minor,
        currency=plan.currency,
        included_service_id=plan.included_service_id,
        included_service_name=service.name if service is not None else None,
        included_sessions=plan.included_sessions,
        discount_percent=plan.discount_percent,
        gateway=configured_gateway_name(),
        status=MembershipStatus.PENDING,
    )
    db.session.add(membership)
    db.session.flush()
    _new_period(membership, order, number=1, starts_at=now, key=f"first-{order.id}")
    return membership


def _first_order_live(membership: Membership, now: datetime) -> bool:
    first = db.session.scalar(
        select(MembershipPeriod).where(MembershipPeriod.membership_id == membership.id, MembershipPeriod.number == 1)
    )
    return first is not None and (
        first.order.status != OrderStatus.PENDING_PAYMENT or first.order.hold_expires_at > now
    )


def _new_period(
    membership: Membership, order: Order, *, number: int, starts_at: datetime, key: str
) -> MembershipPeriod:
    period = MembershipPeriod(
        membership_id=membership.id,
        order_id=order.id,
        invoice_key=key,
        number=number,
        starts_at=starts_at,
        ends_at=add_month(starts_at),
        amount_minor=membership.price_minor,
        currency=membership.currency,
    )
    db.session.add(period)
    db.session.flush()
    return period


def period_of_order(order: Order) -> MembershipPeriod | None:
    if order.bookings:
        return None
    return db.session.scalar(select(MembershipPeriod).where(MembershipPeriod.order_id == order.id))


def first_order_id(membership: Membership) -> int | None:
    return db.session.scalar(
        select(MembershipPeriod.order_id).where(
            MembershipPeriod.membership_id == membership.id, MembershipPeriod.number == 1
        )
    )


# -- a month paid -----------------------------------------------------------------------------------


@events.order_paid.connect
def record_when_paid(how: str, *, order: Order, now: datetime, payment: Payment | None = None) -> None:
    period = period_of_order(order)
    if period is not None:
        record_period_paid(period, now=now, payment=payment)


def record_period_paid(period: MembershipPeriod, *, now: datetime, payment: Payment | None = None) -> None:
    """The month is paid (once): the membership is active to its end, and its sessions granted."""
    if period.status == PeriodStatus.PAID:
        return
    membership = db.session.scalar(select(Membership).where(Membership.id == period.membership_id).with_for_update())
    if period.number == 1:  # the month starts when it is paid
        period.starts_at = now
        period.ends_at = add_month(now)
        if payment is not None and membership.gateway == "demo":
            remember_card(payment, {"payment_intent_id": payment.payment_intent_id})  # for the renewals
    period.status = PeriodStatus.PAID
    period.paid_at = now
    period.problem = None
    if membership.status != MembershipStatus.CANCELLED:
        membership.status = MembershipStatus.ACTIVE
    membership.grace_until = None
    if membership.current_period_end is None or period.ends_at > membership.current_period_end:
        membership.current_period_end = period.ends_at
    if membership.included_sessions and membership.included_service_id is not None:
        _grant_sessions(membership, period, now)


def _grant_sessions(membership: Membership, period: MembershipPeriod, now: datetime) -> None:
    """The month's included sessions: a package holding of the period's order, ending with it."""
    if db.session.scalar(select(PackageHolding.id).where(PackageHolding.order_id == period.order_id)):
        return
    days = max((period.ends_at - period.starts_at).days, 1)
    db.session.add(
        PackageHolding(
            package_id=None,
            order_id=period.order_id,
            customer_id=membership.customer_id,
            venue_id=membership.venue_id,
            service_id=membership.included_service_id,
            option_id=None,
            name=_("%(name)s: this month's sessions", name=membership.name)[:120],
            service_name=membership.included_service_name or "",
            option_name=None,
            venue_name=membership.venue_name,
            sessions=membership.included_sessions,
            valid_days=days,
            price_minor=membership.price_minor,
            currency=membership.currency,
            paid_at=now,
            expires_at=period.ends_at,
        )
    )
    db.session.flush()


# -- renewals ---------------------------------------------------------------------------------------


def renewal_order(membership: Membership, *, hold_until: datetime) -> Order:
    customer = db.session.get(User, membership.customer_id)
    order = order_lifecycle.hold(customer, currency=membership.currency, hold_until=hold_until)
    order.total_minor = membership.price_minor
    db.session.flush()
    return order


def last_period(membership: Membership) -> MembershipPeriod | None:
    return db.session.scalar(
        select(MembershipPeriod)
        .where(MembershipPeriod.membership_id == membership.id)
        .order_by(MembershipPeriod.number.desc())
        .limit(1)
    )


def record_gateway_renewal(
    membership: Membership,
    *,
    invoice_key: str,
    amount_minor: int,
    starts_at: datetime,
    payment_intent_id: str | None,
    now: datetime,
) -> str:
    """A month the gateway's subscription charged (Stripe's ``invoice.paid``): its order, a
    succeeded payment and the month paid, once per invoice (``invoice_key`` is unique)."""
    if db.session.scalar(select(MembershipPeriod.id).where(MembershipPeriod.invoice_key == invoice_key)):
        return "already recorded"
    previous = last_period(membership)
    if previous is not None and previous.status == PeriodStatus.PENDING:  # a failed month, paid now
        period = previous
        period.invoice_key = invoice_key
    else:
        order = renewal_order(membership, hold_until=now + timedelta(days=GRACE_DAYS))
        number = previous.number + 1 if previous is not None else 1
        period = _new_period(membership, order, number=number, starts_at=starts_at, key=invoice_key)
    period.amount_minor = amount_minor
    period.order.total_minor = amount_minor
    payment = Payment(
        order_id=period.order_id,
        gateway=membership.gateway,
        kind=PaymentKind.CHECKOUT,
        session_id=f"membership_{invoice_key}"[:255],
        payment_intent_id=payment_intent_id,
        amount_minor=amount_minor,
        currency=membership.currency,
        status=PaymentStatus.SUCCEEDED,
        expires_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    order_lifecycle.confirm_paid(period.order, now=now, how="charged", payment=payment, reason="Membership renewal")
    return f"membership {membership.id}: month {period.number} paid"


def record_failure(membership: Membership, period: MembershipPeriod | None, message: str, *, now: datetime) -> str:
    """A renewal's payment failed: past due, with benefits until the grace ends (set once a month)."""
    if membership.status == MembershipStatus.CANCELLED:
        return "no change: the membership has ended"
    if period is not None:
        period.status = PeriodStatus.PENDING
        period.problem = message[:300]
    if membership.status != MembershipStatus.PAST_DUE:  # the grace runs from the unpaid month's start
        membership.status = MembershipStatus.PAST_DUE
        membership.grace_until = (period.starts_at if period is not None else now) + timedelta(days=GRACE_DAYS)
    return f"membership {membership.id}: past due until {membership.grace_until:%Y-%m-%d}"


def record_ended(membership: Membership, *, now: datetime) -> str:
    if membership.status == MembershipStatus.CANCELLED:
        return "already ended"
    membership.status = MembershipStatus.CANCELLED
    membership.ended_at = now
    return f"membership {membership.id}: ended"


def pause(membership: Membership, *, now: datetime) -> str:
    """The grace ran out unpaid: no benefits; the month's order is released, its period failed."""
    membership.status = MembershipStatus.PAUSED
    period = last_period(membership)
    if period is not None and period.status == PeriodStatus.PENDING:
        period.status = PeriodStatus.FAILED
        order = order_lifecycle.lock_order(period.order_id)
        if order.status == OrderStatus.PENDING_PAYMENT:
            order_lifecycle.release_order(order, ReleaseReason.DECLINED, now=now)
    return f"membership {membership.id}: paused"


def charge_renewal(membership: Membership, period: MembershipPeriod, *, now: datetime) -> str:
    """Charge the Demo membership's saved card for ``period`` (one attempt, one idempotency key)."""
    period.attempts += 1
    period.tried_at = now
    first = first_order_id(membership)
    saved = get_saved_card(first) if first is not None else None
    if saved is None:
        return record_failure(membership, period, _("No card was saved with the membership."), now=now)
    payment = Payment(
        order_id=period.order_id,
        gateway=saved.gateway,
        kind=PaymentKind.CHECKOUT,
        session_id=f"membership_{period.id}_{period.attempts}",
        amount_minor=period.amount_minor,
        currency=period.currency,
        status=PaymentStatus.PROCESSING,
        expires_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    result = gateway_named(saved.gateway).charge_saved_card(
        as_card(saved),
        period.amount_minor,
        period.currency,
        idempotency_key=f"membership-{period.id}-{period.attempts}",
        metadata={"order_id": str(period.order_id), "membership_id": str(membership.id)},
    )
    payment.payment_intent_id = result.payment_intent_id
    if result.status != "succeeded":
        payment.status = PaymentStatus.FAILED
        return record_failure(membership, period, result.message or _("The card was declined."), now=now)
    payment.status = PaymentStatus.SUCCEEDED
    order_lifecycle.confirm_paid(period.order, now=now, how="charged", payment=payment, reason="Membership renewal")
    return f"membership {membership.id}: month {period.number} paid"


def renew_one(membership_id: int, *, now: datetime) -> str:
    """What is due for one membership now (under its row lock): pause after the grace, end at the
    end of a cancelled month, or (Demo) charge the next month, or try a failed one again."""
    membership = db.session.scalar(select(Membership).where(Membership.id == membership_id).with_for_update())
    if membership is None or membership.status not in BENEFITS:
        return "no change"
    if membership.status == MembershipStatus.PAST_DUE and membership.grace_until and membership.grace_until <= now:
        return pause(membership, now=now)
    end = membership.current_period_end
    if end is None or end > now:
        return "no change: the month isn't over"
    if membership.cancel_at_period_end:
        return record_ended(membership, now=end)
    if membership.gateway != "demo":
        return "no change: the gateway renews it"
    period = last_period(membership)
    if period is None or period.status == PeriodStatus.PAID:
        order = renewal_order(membership, hold_until=end + timedelta(days=GRACE_DAYS))
        number = period.number + 1 if period is not None else 1
        period = _new_period(membership, order, number=number, starts_at=end, key=f"demo-{membership.id}-{number}")
    elif period.tried_at is not None and now - period.tried_at < timedelta(hours=RETRY_HOURS):
        return "no change: tried within the day"
    return charge_renewal(membership, period, now=now)


def due(now: datetime) -> list[int]:
    """Memberships with something to do: a month over, or a grace run out."""
    return list(
        db.session.scalars(
            select(Membership.id)
            .where(
                Membership.status.in_(BENEFITS),
                (Membership.current_period_end <= now) | (Membership.grace_until <= now),
            )
            .order_by(Membership.id)
        )
    )


@job(name="memberships.renew_due", retry=3)
def renew_due_job(timestamp: int | None = None) -> None:
    """Every membership with something due, each in its own transaction."""
    now = datetime.now(UTC)
    for membership_id in due(now):
        try:
            renew_one(membership_id, now=now)
            db.session.commit()
        except GatewayError:
            db.session.rollback()  # the gateway couldn't be reached: the next run tries again


def renew_due(now: datetime) -> list[str]:
    """``renew_due_job``'s work in the caller's transaction (tests, the demo)."""
    return [renew_one(membership_id, now=now) for membership_id in due(now)]


# -- what a member gets -----------------------------------------------------------------------------


def benefits_of(customer_id: int | None, *, now: datetime) -> dict[int, Membership]:
    """The customer's memberships that give their benefits now, by venue id (one statement)."""
    if customer_id is None:
        return {}
    rows = db.session.scalars(
        select(Membership).where(Membership.customer_id == customer_id, Membership.status.in_(BENEFITS))
    )
    return {
        m.venue_id: m
        for m in rows
        if m.status == MembershipStatus.ACTIVE or (m.grace_until is not None and m.grace_until > now)
    }


def member_price(price_minor: int, discount_percent: int) -> int:
    """The price less the member's discount (the discount rounded half up to the penny)."""
    return price_minor - (price_minor * discount_percent + 50) // 100


def apply_member_prices(order: Order, *, now: datetime) -> int:
    """At checkout: each booking at a venue the customer is a member of costs the member's price.
    Returns how many bookings it lowered."""
    members = benefits_of(order.customer_id, now=now)
    lowered = 0
    for booking in order.bookings:
        membership = members.get(booking.venue_id)
        if membership is None or not membership.discount_percent or not booking.unit_price_minor:
            continue
        booking.unit_price_minor = member_price(booking.unit_price_minor, membership.discount_percent)
        lowered += 1
    return lowered


def held_by(customer_id: int, *, venue_id: int | None = None) -> list[Membership]:
    """The customer's memberships, newest first (of one venue, with ``venue_id``)."""
    query = select(Membership).where(Membership.customer_id == customer_id)
    if venue_id is not None:
        query = query.where(Membership.venue_id == venue_id)
    return list(db.session.scalars(query.order_by(Membership.id.desc())))


def periods_of(membership_id: int) -> list[MembershipPeriod]:
    return list(
        db.session.scalars(
            select(MembershipPeriod)
            .where(MembershipPeriod.membership_id == membership_id)
            .order_by(MembershipPeriod.number.desc())
        )
    )
