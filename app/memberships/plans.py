"""The memberships a venue offers (docs/memberships.md): a monthly price, sessions of one of its
services included each month, a discount on its treatments, or both. Switched off, never deleted
once joined: a membership keeps its own copy of the plan as joined (app/memberships/service.py)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.memberships.models import DISCOUNT_RANGE, INCLUDED_RANGE, MembershipPlan
from app.platform.errors import NotFound, ValidationFailed
from app.platform.extensions import db
from app.venues.models import Service, Venue

MAX_PLANS = 5


@dataclass(frozen=True)
class PlanInput:
    name: str
    price_minor: int
    included_service_id: int | None
    included_sessions: int
    discount_percent: int


def plans_of(venue_id: int, *, active_only: bool = True) -> list[MembershipPlan]:
    query = select(MembershipPlan).where(MembershipPlan.venue_id == venue_id)
    if active_only:
        query = query.where(MembershipPlan.is_active)
    return list(db.session.scalars(query.order_by(MembershipPlan.is_active.desc(), MembershipPlan.price_minor)))


def get_plan(venue_id: int, plan_id: int) -> MembershipPlan:
    plan = db.session.get(MembershipPlan, plan_id)
    if plan is None or plan.venue_id != venue_id:
        raise NotFound(_("We couldn't find that membership."))
    return plan


def check_plan(venue: Venue, data: PlanInput) -> None:
    name = data.name.strip()
    if not 1 <= len(name) <= 80:
        raise ValidationFailed(_("Give the membership a name of up to 80 characters."), field="name")
    if not 0 < data.price_minor <= 100_000_00:
        raise ValidationFailed(_("Enter the monthly price."), field="price")
    low, high = INCLUDED_RANGE
    if not low <= data.included_sessions <= high:
        raise ValidationFailed(
            _("Include %(low)s to %(high)s sessions a month.", low=low, high=high), field="included_sessions"
        )
    if data.included_sessions:
        service = db.session.get(Service, data.included_service_id) if data.included_service_id else None
        if service is None or service.venue_id != venue.id or not service.is_active:
            raise ValidationFailed(_("Choose which of your services the sessions are of."), field="included_service_id")
    low, high = DISCOUNT_RANGE
    if not low <= data.discount_percent <= high:
        raise ValidationFailed(
            _("A member's discount is %(low)s to %(high)s%%.", low=low, high=high), field="discount_percent"
        )
    if not data.included_sessions and not data.discount_percent:
        raise ValidationFailed(_("A membership gives sessions each month, a discount, or both."))


def save_plan(venue: Venue, data: PlanInput, *, plan: MembershipPlan | None = None) -> MembershipPlan:
    check_plan(venue, data)
    if plan is None:
        if len(plans_of(venue.id)) >= MAX_PLANS:
            raise ValidationFailed(_("A venue can offer up to %(count)s memberships at once.", count=MAX_PLANS))
        plan = MembershipPlan(venue_id=venue.id, currency=venue.currency)
        db.session.add(plan)
    plan.name = data.name.strip()
    plan.price_minor = data.price_minor
    plan.included_sessions = data.included_sessions
    plan.included_service_id = data.included_service_id if data.included_sessions else None
    plan.discount_percent = data.discount_percent
    db.session.flush()
    return plan
