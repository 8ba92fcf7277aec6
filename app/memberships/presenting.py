"""What the pages show of memberships: decided values only (the venue's page, a plan's page, My
memberships, the venue's own list). Dates are the venue's, in its own time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.booking.presenting import book_url
from app.memberships import plans
from app.memberships.models import Membership, MembershipPeriod, MembershipPlan, MembershipStatus, PeriodStatus
from app.memberships.service import held_by
from app.packages.models import PackageHolding
from app.packages.service import left_of, used_of
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import day_words, venue_zone
from app.venues.models import Venue, VenueStatus

DAY = "d MMM yyyy"  # 27 May 2027
CANCELLABLE = (MembershipStatus.PENDING, MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE, MembershipStatus.PAUSED)


def benefit_lines(sessions: int, service_name: str | None, discount_percent: int) -> list[str]:
    """ "2 × Hot stone massage a month", "10% off every treatment": what a plan (or a membership,
    as joined) gives."""
    lines = []
    if sessions and service_name:
        lines.append(_("%(count)s × %(service)s a month", count=sessions, service=service_name))
    if discount_percent:
        lines.append(_("%(percent)s%% off every treatment", percent=discount_percent))
    return lines


def plan_benefits(plan: MembershipPlan) -> list[str]:
    service = plan.included_service
    return benefit_lines(plan.included_sessions, service.name if service is not None else None, plan.discount_percent)


def a_month(price_minor: int, currency: str) -> str:
    """ "£99.00 a month"."""
    return _("%(price)s a month", price=format_money(price_minor, currency))


def plan_card(plan: MembershipPlan) -> dict[str, Any]:
    """One plan as the venue page and the plan page show it."""
    return {
        "id": plan.id,
        "name": plan.name,
        "price": format_money(plan.price_minor, plan.currency),
        "a_month": a_month(plan.price_minor, plan.currency),
        "benefits": plan_benefits(plan),
        "url": url_for("booking.membership_plan", plan_id=plan.id),
    }


def venue_memberships(venue_id: int) -> dict[str, Any]:
    """The venue page's memberships (one statement; their services are the page's, already
    loaded): the plans on sale, and the best member's discount among them, for the line under each
    service's price ("£54.00 for Calm club members"). The same for every visitor: the page is
    shared-cached, so whether this visitor is a member belongs to the cart."""
    offered = plans.plans_of(venue_id)
    best = max((p for p in offered if p.discount_percent), key=lambda p: p.discount_percent, default=None)
    return {
        "plans": [plan_card(plan) for plan in offered],
        "member_offer": {"percent": best.discount_percent, "name": best.name} if best is not None else None,
    }


def plan_page(plan: MembershipPlan, *, payable: bool) -> dict[str, Any]:
    """A plan's page: the plan, its venue, and whether it can be joined (if not, why).
    ``payable``: whether the venue can be paid (app/payouts, asked by the page)."""
    venue = plan.venue
    if not plan.is_active or venue.status != VenueStatus.APPROVED:
        closed = _("This membership isn't offered any more.")
    elif not payable:  # as checkout: nothing is sold that the venue can't be paid for
        closed = _("This venue can't take online payments yet, so its memberships can't be joined here for now.")
    else:
        closed = None
    return {
        **plan_card(plan),
        "closed": closed,
        "venue": {
            "name": venue.name,
            "url": url_for("venues_public.venue_page", slug=venue.slug) if venue.is_public else None,
        },
        "join_url": url_for("booking.join_membership", plan_id=plan.id),
    }


# -- My memberships ---------------------------------------------------------------------------------


def _day(moment: datetime | None, venue: Venue) -> str:
    return day_words(moment.astimezone(venue_zone(venue)).date(), DAY) if moment is not None else "—"


def status_words(membership: Membership, venue: Venue) -> str:
    """Where the membership stands, as its customer reads it."""
    status, end = membership.status, membership.current_period_end
    if status == MembershipStatus.CANCELLED:
        return _("Ended on %(date)s", date=_day(membership.ended_at, venue))
    if status == MembershipStatus.PENDING:
        return _("Waiting for payment")
    if status == MembershipStatus.PAUSED:
        return _("Paused")
    if membership.cancel_at_period_end:
        return _("Ending on %(date)s", date=_day(end, venue))
    if status == MembershipStatus.PAST_DUE:
        return _(
            "Past due: we couldn't take this month's payment; benefits continue until %(date)s",
            date=_day(membership.grace_until, venue),
        )
    return _("Active, renews on %(date)s", date=_day(end, venue))


def _month_row(period: MembershipPeriod, venue: Venue) -> dict[str, Any]:
    order = period.order
    return {
        "number": period.number,
        "starts": _day(period.starts_at, venue),
        "ends": _day(period.ends_at, venue),
        "amount": format_money(period.amount_minor, period.currency),
        "receipt_url": url_for("payments.receipt", order_id=order.id) if order.receipt_number else None,
    }


def membership_row(
    membership: Membership, venue: Venue, months: list[MembershipPeriod], sessions_left: int | None = None
) -> dict[str, Any]:
    """One membership on My memberships (``sessions_left``: of the month's included sessions)."""
    live = membership.status in (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)
    return {
        "sessions": _(
            "This month: %(left)s of %(count)s sessions left", left=sessions_left, count=membership.included_sessions
        )
        if live and sessions_left is not None
        else None,
        "book_url": book_url(venue.slug, membership.included_service_id)
        if live and sessions_left and membership.included_service_id and venue.is_public
        else None,
        "id": membership.id,
        "name": membership.name,
        "venue": membership.venue_name,
        "venue_url": url_for("venues_public.venue_page", slug=venue.slug) if venue.is_public else None,
        "a_month": a_month(membership.price_minor, membership.currency),
        "status": status_words(membership, venue),
        "state": membership.status,
        "badge": "text-bg-success"
        if live and not membership.cancel_at_period_end
        else "text-bg-warning"
        if live
        else "text-bg-secondary",
        "benefits": benefit_lines(
            membership.included_sessions, membership.included_service_name, membership.discount_percent
        ),
        "months": [_month_row(p, venue) for p in months],
        "cancellable": membership.status in CANCELLABLE and not membership.cancel_at_period_end,
        "cancel_url": url_for("booking.cancel_membership", membership_id=membership.id),
    }


def my_rows(customer_id: int) -> list[dict[str, Any]]:
    """My memberships, newest first, each with its months paid (newest first). Their venues and
    their months (with the months' orders) are read in one statement each."""
    held = held_by(customer_id)
    if not held:
        return []
    venue_ids = {m.venue_id for m in held}
    venues = {v.id: v for v in db.session.scalars(select(Venue).where(Venue.id.in_(venue_ids)))}
    months: dict[int, list[MembershipPeriod]] = {m.id: [] for m in held}
    paid = db.session.scalars(
        select(MembershipPeriod)
        .where(MembershipPeriod.membership_id.in_(months), MembershipPeriod.status == PeriodStatus.PAID)
        .options(joinedload(MembershipPeriod.order))
        .order_by(MembershipPeriod.number.desc())
    )
    for period in paid:
        months[period.membership_id].append(period)
    # The latest month's included sessions (a package holding of its order, app/packages): left now.
    latest = {m.id: months[m.id][0].order_id for m in held if months[m.id] and m.included_sessions}
    holdings = (
        {
            h.order_id: h
            for h in db.session.scalars(select(PackageHolding).where(PackageHolding.order_id.in_(latest.values())))
        }
        if latest
        else {}
    )
    used = used_of([h.id for h in holdings.values()])
    left = {
        membership_id: left_of(holdings[order_id], used.get(holdings[order_id].id, 0))
        for membership_id, order_id in latest.items()
        if order_id in holdings
    }
    return [membership_row(m, venues[m.venue_id], months[m.id], left.get(m.id)) for m in held]


def cancelled_message(membership: Membership, venue: Venue) -> str:
    """What the customer is told once they cancelled."""
    if membership.status == MembershipStatus.CANCELLED:
        return _("Your membership has ended.")
    return _(
        "Your membership ends on %(date)s; you keep its benefits until then.",
        date=_day(membership.current_period_end, venue),
    )
