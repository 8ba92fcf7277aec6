"""Cancelling a membership (docs/memberships.md): by its customer, at the end of the month paid
(``cancel_at_end``), or at once when their account is erased (``end_all_for``); a Stripe
subscription is told by a job after commit (``cancel_subscription_job``)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.memberships.models import Membership, MembershipStatus
from app.memberships.service import record_ended
from app.payments.gateway import gateway_named
from app.platform.errors import InvalidTransition, NotFound
from app.platform.extensions import db
from app.platform.jobs import enqueue, job


def cancel_at_end(membership: Membership, customer: User, *, now: datetime) -> None:
    """The membership ends when the month paid ends (the benefits last till then); a pending or
    paused one ends now."""
    if membership.customer_id != customer.id:
        raise NotFound(_("We couldn't find that membership."))
    if membership.status == MembershipStatus.CANCELLED or membership.cancel_at_period_end:
        raise InvalidTransition(_("This membership is already cancelled."))
    if membership.status in (MembershipStatus.PENDING, MembershipStatus.PAUSED):
        record_ended(membership, now=now)
    else:
        membership.cancel_at_period_end = True
    if membership.subscription_id:
        enqueue(cancel_subscription_job, membership_id=membership.id)


def end_all_for(customer_id: int, *, now: datetime) -> int:
    """An account erased (app/privacy): each of its memberships ends now and is never charged
    again (a Stripe subscription is told to stop). Returns how many ended."""
    ended = 0
    for membership in db.session.scalars(
        select(Membership)
        .where(Membership.customer_id == customer_id, Membership.status != MembershipStatus.CANCELLED)
        .with_for_update()
    ):
        record_ended(membership, now=now)
        if membership.subscription_id:
            enqueue(cancel_subscription_job, membership_id=membership.id)
        ended += 1
    return ended


@job(name="memberships.cancel_subscription", retry=5)
def cancel_subscription_job(membership_id: int) -> None:
    """Tell the gateway the subscription ends with the month paid (Stripe: ``cancel_at_period_end``)."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or not membership.subscription_id:
        return
    gateway_named(membership.gateway).cancel_subscription_at_period_end(
        membership.subscription_id, idempotency_key=f"membership-cancel-{membership.id}"
    )
