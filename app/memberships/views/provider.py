"""A venue's memberships, on the provider blueprint (docs/memberships.md).

``/provider/memberships`` lists the plans the venue offers (each one's monthly price and
benefits, on or off) and its members: each membership that has paid a month, with its
customer, its plan as joined, where it stands, when it was joined and until when it is paid (the
venue's time zone). ``/memberships/new`` and ``/memberships/<id>/edit`` make or change a plan
(what members joined keeps its own copy), ``/memberships/<id>/active`` switches one on or off.
The owner and managers only, like packages; another venue's plan is a 404. Every refusal is the
page again with the reason beside its field, a 4xx, and nothing changed.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.memberships import plans
from app.memberships.forms import FIELDS, PlanForm, form_of, read_plan
from app.memberships.models import DISCOUNT_RANGE, INCLUDED_RANGE, Membership, MembershipPlan, MembershipStatus
from app.memberships.presenting import a_month, plan_benefits
from app.platform import timefmt
from app.platform.errors import DomainError, LimitReached
from app.platform.extensions import db
from app.venues.models import Service, Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import check_confirm_form, check_form, venue_required
from app.web.loaders import venue_row
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

MEMBERS_SHOWN = 200  # the newest memberships the page lists
STATUS_BADGES = {
    MembershipStatus.ACTIVE: "text-bg-success",
    MembershipStatus.PAST_DUE: "text-bg-warning",
    MembershipStatus.PAUSED: "text-bg-secondary",
    MembershipStatus.CANCELLED: "text-bg-light border",
}


# -- what the pages show ----------------------------------------------------------------------------


def _services_of(venue: Venue, *, active_only: bool) -> list[Service]:
    """The venue's services in one statement (the plans' included services then come from the
    session, never a statement per plan)."""
    query = select(Service).where(Service.venue_id == venue.id)
    if active_only:
        query = query.where(Service.is_active)
    return list(db.session.scalars(query.order_by(Service.position, Service.id)))


def _plan_row(plan: MembershipPlan) -> dict:
    return {
        "id": plan.id,
        "name": plan.name,
        "a_month": a_month(plan.price_minor, plan.currency),
        "benefits": plan_benefits(plan),
        "active": plan.is_active,
    }


def _local_day(moment: datetime | None, zone) -> str:
    return timefmt.day_words(moment.astimezone(zone).date(), timefmt.DATE) if moment is not None else "—"


def _status_words(membership: Membership, zone) -> str:
    """Where a member stands, as the venue reads it."""
    if membership.status == MembershipStatus.CANCELLED:
        return _("Ended")
    if membership.status == MembershipStatus.PAUSED:
        return _("Paused")
    if membership.cancel_at_period_end:
        return _("Ending on %(date)s", date=_local_day(membership.current_period_end, zone))
    if membership.status == MembershipStatus.PAST_DUE:
        return _("Past due (until %(date)s)", date=_local_day(membership.grace_until, zone))
    return _("Active")


def _member_rows(venue: Venue) -> list[dict]:
    """The venue's members, newest first: each membership that has paid at least one month (one
    joined but never paid is not a member)."""
    rows = db.session.execute(
        select(Membership, User.name)
        .join(User, User.id == Membership.customer_id)
        .where(Membership.venue_id == venue.id, Membership.current_period_end.is_not(None))
        .order_by(Membership.id.desc())
        .limit(MEMBERS_SHOWN)
    ).all()
    zone = timefmt.venue_zone(venue)
    return [
        {
            "id": membership.id,
            "customer": customer_name,
            "plan": membership.name,
            "status": _status_words(membership, zone),
            "badge": STATUS_BADGES.get(membership.status, "text-bg-secondary"),
            "joined": _local_day(membership.created_at, zone),
            "paid_until": _local_day(membership.current_period_end, zone),
        }
        for membership, customer_name in rows
    ]


def _list(venue: Venue, *, error: str | None = None, status: int = 200) -> Response:
    _services_of(venue, active_only=False)
    return render_page(
        "memberships/provider_list.html",
        status=status,
        venue=venue,
        plans=[_plan_row(p) for p in plans.plans_of(venue.id, active_only=False)],
        members=_member_rows(venue),
        members_shown=MEMBERS_SHOWN,
        error=error,
    )


def _form_page(
    venue: Venue,
    form: PlanForm,
    *,
    plan: MembershipPlan | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> Response:
    """The new or edit page; a refusal shown by the field it names, or above the form."""
    general = None
    if error is not None:
        field = getattr(error, "field", None)
        if field == "price_minor":
            field = "price"
        if field in FIELDS:
            form[field].errors = [error.message]
        else:
            general = error.message
    return render_page(
        "memberships/provider_form.html",
        status=status,
        venue=venue,
        form=form,
        plan=plan,
        services=[{"id": s.id, "name": s.name} for s in _services_of(venue, active_only=True)],
        error=general,
        included_range=INCLUDED_RANGE,
        discount_range=DISCOUNT_RANGE,
    )


def _back_to_list(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("venues_dashboard.memberships"), 303)


def _terms(plan: MembershipPlan) -> dict:
    """What the audit log keeps of a plan."""
    return {
        "name": plan.name,
        "price_minor": plan.price_minor,
        "included_service_id": plan.included_service_id,
        "included_sessions": plan.included_sessions,
        "discount_percent": plan.discount_percent,
    }


def _save(venue: Venue, form: PlanForm, plan: MembershipPlan | None) -> Response:
    on_refusal(lambda error: _form_page(venue, form, plan=plan, error=error))
    check_form(form)
    data = read_plan(form)
    before = _terms(plan) if plan is not None else None
    saved = plans.save_plan(venue, data, plan=plan)
    if before is None:
        audit.record(
            "membership_plan.create", actor_id=current_user.id, about=("membership_plan", saved.id), **_terms(saved)
        )
        return _back_to_list(_("Membership “%(name)s” created.", name=saved.name))
    after = _terms(saved)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit.record(
        "membership_plan.update", actor_id=current_user.id, about=("membership_plan", saved.id), changed=changed
    )
    return _back_to_list(_("Membership “%(name)s” saved.", name=saved.name))


# -- the pages --------------------------------------------------------------------------------------


@bp.get("/memberships")
@venue_required
def memberships(venue: Venue) -> Response:
    return _list(venue)


@bp.route("/memberships/new", methods=["GET", "POST"])
@venue_required
def new_membership_plan(venue: Venue) -> Response:
    if request.method == "POST":
        return _save(venue, PlanForm(), None)
    return _form_page(venue, PlanForm(formdata=None, data={"included_sessions": "0", "discount_percent": "0"}))


# Another venue's plan is a 404 (``venue_row``).


@bp.route("/memberships/<int:plan_id>/edit", methods=["GET", "POST"])
@venue_required
@venue_row(MembershipPlan, name="plan")
def edit_membership_plan(venue: Venue, plan: MembershipPlan) -> Response:
    if request.method == "POST":
        return _save(venue, PlanForm(), plan)
    return _form_page(venue, form_of(plan), plan=plan)


@bp.post("/memberships/<int:plan_id>/active")
@venue_required
@venue_row(MembershipPlan, name="plan", for_update=True)
def set_membership_plan_active(venue: Venue, plan: MembershipPlan) -> Response:
    """Switch a plan on (``active=1``) or off: off, nobody new joins it; its members keep theirs."""
    check_confirm_form()
    on_refusal(lambda error: _list(venue, error=error.message))
    active = request.form.get("active") == "1"
    if active and not plan.is_active and len(plans.plans_of(venue.id)) >= plans.MAX_PLANS:
        raise LimitReached(_("A venue can offer up to %(count)s memberships at once.", count=plans.MAX_PLANS))
    if plan.is_active != active:
        plan.is_active = active
        audit.record(
            "membership_plan.reactivate" if active else "membership_plan.deactivate",
            actor_id=current_user.id,
            about=("membership_plan", plan.id),
            from_state="inactive" if active else "active",
            to_state="active" if active else "inactive",
            name=plan.name,
        )
    if active:
        return _back_to_list(_("Membership “%(name)s” is offered again.", name=plan.name))
    return _back_to_list(
        _("Membership “%(name)s” is switched off: nobody new can join; its members keep theirs.", name=plan.name)
    )
