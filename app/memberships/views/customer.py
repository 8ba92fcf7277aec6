"""The customer's membership pages, on the booking blueprint: a plan's page
(``/memberships/<id>``), joining it (POST ``/memberships/<id>/join``), My memberships
(``/account/memberships``) and cancelling one (POST ``/account/memberships/<id>/cancel``).

Joining holds the first month's order and sends the customer to the gateway's checkout, as buying
a package does (``start_payment``); once paid, the return page brings them to My memberships.
Only a verified customer account joins; a plan switched off, at a venue no longer listed or at
one that can't be paid yet, or a second membership of the same venue, is refused with the reason
(409), and a refusal holds nothing. Cancelling ends the membership with the month paid (a
pending or paused one at once); another customer's membership is a 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.memberships import cancelling, service
from app.memberships.models import Membership, MembershipPlan
from app.memberships.presenting import cancelled_message, my_rows, plan_page
from app.payments import service as payments
from app.payouts.accounts import takes_paid_bookings, unpayable_message
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.venues.models import Venue
from app.web.blueprints import booking as bp
from app.web.guards import check_confirm_form, require_booker, sign_in_first
from app.web.loaders import own_row
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


def get_plan(plan_id: int, *, listed: bool = True) -> MembershipPlan:
    """The plan; a missing one is a 404, and so is one of a venue not listed when ``listed`` (the
    page: a hidden listing looks like a missing one). Joining one there is refused with the reason
    instead (``start_membership``)."""
    plan = db.session.get(MembershipPlan, plan_id)
    if plan is None or (listed and not plan.venue.is_public):
        abort(404)
    return plan


def show_plan(plan: MembershipPlan, *, error: str | None = None, status: int = 200) -> Response:
    return render_page(
        "memberships/customer_plan.html",
        status=status,
        plan=plan_page(plan, payable=takes_paid_bookings(plan.venue_id)),
        error=error,
        signed_in=current_user.is_authenticated,
        sign_in_url=url_for("accounts.sign_in", next=url_for(".membership_plan", plan_id=plan.id)),
    )


@bp.get("/memberships/<int:plan_id>")
def membership_plan(plan_id: int) -> Response:
    return show_plan(get_plan(plan_id))


@bp.post("/memberships/<int:plan_id>/join")
def join_membership(plan_id: int) -> Response:
    plan = get_plan(plan_id, listed=False)
    if not current_user.is_authenticated:
        return sign_in_first(
            _("Sign in or create an account to become a member."), url_for(".membership_plan", plan_id=plan.id)
        )
    require_booker()
    on_refusal(lambda error: show_plan(plan, error=error.message))
    if not current_user.is_verified:
        raise ValidationFailed(_("Confirm your email address before joining; we sent you a link."))
    if problem := unpayable_message({plan.venue_id}):  # as checkout refuses a venue it can't pay
        raise InvalidTransition(problem)
    membership = service.start_membership(current_user, plan, now=datetime.now(UTC))
    payment = payments.start_payment(service.last_period(membership).order)
    return redirect(payment.checkout_url, 303)


def show_mine(*, error: str | None = None, status: int = 200) -> Response:
    return render_page(
        "memberships/customer_mine.html", status=status, memberships=my_rows(current_user.id), error=error
    )


@bp.get("/account/memberships")
@login_required
def my_memberships() -> Response:
    require_booker()
    return show_mine()


@bp.post("/account/memberships/<int:membership_id>/cancel")
@login_required
@own_row(Membership)  # another customer's membership is indistinguishable from a missing one
def cancel_membership(membership: Membership) -> Response:
    require_booker()
    check_confirm_form()
    on_refusal(lambda error: show_mine(error=error.message))
    cancelling.cancel_at_end(membership, current_user, now=datetime.now(UTC))
    flash(cancelled_message(membership, db.session.get(Venue, membership.venue_id)), "success")
    return redirect(url_for(".my_memberships"), 303)
