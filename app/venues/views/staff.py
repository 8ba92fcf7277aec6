"""Staff logins (docs/staff-roles.md): the owner's "Staff" page, where they invite, re-send,
change the role of and remove staff, and the invitation link's page, where the invited person
chooses their password. Only the owner manages staff (``OWNER_ONLY``); every POST carries the
CSRF token (Flask-WTF checks it app-wide)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import tokens
from app.accounts.passwords import MIN_LENGTH
from app.ops.errors import render_error
from app.platform.errors import DomainError, NotFound
from app.platform.timefmt import moment_label, venue_zone
from app.venues import staff
from app.venues.models import StaffRole, Venue, VenueStaff
from app.web.blueprints import accounts as accounts_bp
from app.web.blueprints import dashboard as bp
from app.web.guards import OWNER_ONLY, may_open, venue_required
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

MAX_FIELD = 300
# The invitation form's role until the owner picks one: the one that may do least (a
# practitioner sees only their own appointments), so a hurried invite grants no more than that.
DEFAULT_ROLE = StaffRole.PRACTITIONER


# The provider navigation shows only what the signed-in person's role may open.
bp.add_app_template_global(may_open, "may_open")


def _int_or_none(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise ValueError(value)
    return int(value)


def _read_role_fields() -> tuple[str, int | None]:
    """The role and team member a form posted; a malformed member id is a clear 400."""
    role = (request.form.get("role") or "")[:MAX_FIELD]
    try:
        member_id = _int_or_none(request.form.get("team_member_id"))
    except ValueError:
        abort(400, _("Choose a team member from the list."))
    return role, member_id


def _rows(venue: Venue) -> list[dict]:
    zone = venue_zone(venue)
    return [
        {
            "id": row.id,
            "email": row.email,
            "name": row.user.name if row.user else "",
            "role": row.role,
            "role_label": staff.ROLE_LABELS[StaffRole(row.role)],
            "member": row.team_member.name if row.team_member else "",
            "team_member_id": row.team_member_id,
            "pending": row.accepted_at is None,
            "since": moment_label(row.accepted_at or row.invited_at, zone),
            "expires": moment_label(staff.invitation_expires(row), zone),
        }
        for row in staff.list_staff(venue)
    ]


@bp.get("/staff")
@venue_required(roles=OWNER_ONLY)
def staff_page(venue: Venue, *, error: str = "", typed: dict | None = None) -> Response:
    """The Staff page; a refusal below shows it again by calling this view, whose guard passes
    the same venue (the dashboard's Staff routes are all the owner's only)."""
    return render_page(
        "venues/dashboard/staff.html",
        venue=venue,
        rows=_rows(venue),
        roles=[(role.value, staff.ROLE_LABELS[role]) for role in StaffRole],
        team=[(m.id, m.name) for m in venue.team],
        error=error,
        typed=typed or {},
        default_role=DEFAULT_ROLE.value,
        days=staff.INVITATION_DAYS,
    )


def _done(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("venues_dashboard.staff_page"), 303)


def _show_refusal(typed: dict | None = None) -> None:
    """A refusal shows the Staff page again with its message; another venue's staff row is a 404."""

    def render(refusal: DomainError):
        if isinstance(refusal, NotFound):
            return render_error(404)
        return staff_page(error=refusal.message, typed=typed)

    on_refusal(render)


def _staff_change(venue: Venue, change: Callable[..., VenueStaff], staff_id: int, **fields: Any) -> VenueStaff:
    """``change`` (resend, change_role, remove) made to one of the venue's staff logins by the
    owner signed in; a refusal shows the Staff page again."""
    _show_refusal()
    return change(venue, staff_id, actor_id=current_user.id, **fields)


@bp.post("/staff")
@venue_required(roles=OWNER_ONLY)
def invite_staff(venue: Venue) -> Response:
    role, member_id = _read_role_fields()
    email = (request.form.get("email") or "")[:MAX_FIELD]
    _show_refusal({"email": email, "role": role, "team_member_id": member_id})
    staff.invite(venue, email=email, role=role, team_member_id=member_id, invited_by=current_user.id)
    return _done(
        _(
            "Invitation sent to %(email)s. The link works for %(days)s days.",
            email=email.strip(),
            days=staff.INVITATION_DAYS,
        )
    )


@bp.post("/staff/<int:staff_id>/resend")
@venue_required(roles=OWNER_ONLY)
def resend_staff_invitation(venue: Venue, staff_id: int) -> Response:
    row = _staff_change(venue, staff.resend, staff_id)
    return _done(_("A new invitation is on its way to %(email)s; the old link no longer works.", email=row.email))


@bp.post("/staff/<int:staff_id>/role")
@venue_required(roles=OWNER_ONLY)
def change_staff_role(venue: Venue, staff_id: int) -> Response:
    role, member_id = _read_role_fields()
    row = _staff_change(venue, staff.change_role, staff_id, role=role, team_member_id=member_id)
    return _done(_("%(email)s is now: %(role)s.", email=row.email, role=staff.ROLE_LABELS[StaffRole(row.role)]))


@bp.post("/staff/<int:staff_id>/remove")
@venue_required(roles=OWNER_ONLY)
def remove_staff(venue: Venue, staff_id: int) -> Response:
    row = _staff_change(venue, staff.remove, staff_id)
    return _done(_("%(email)s is removed and signed out everywhere.", email=row.email))


# -- the invitation link --------------------------------------------------------------------


@accounts_bp.route("/staff-invitation/<token>", methods=["GET", "POST"])
def accept_staff_invitation(token: str) -> Response:
    """Anyone holding the link may open it; a signed-in person is asked to sign out first."""
    if len(token) > 400:
        abort(404)
    try:
        row = staff.read_invitation(token)
    except tokens.InvalidToken as invalid:
        return render_page("accounts/staff_invitation.html", status=410, invalid=invalid.message)
    context = {
        "row": row,
        "venue_name": row.venue.name,
        "role_label": staff.ROLE_LABELS[StaffRole(row.role)],
        "in_the_way": staff.account_in_the_way(row) is not None,
        "min_length": MIN_LENGTH,
        "signed_in": current_user.is_authenticated,
        "name": "",
        "error": "",
    }
    if request.method == "GET" or context["in_the_way"] or context["signed_in"]:
        status = 409 if request.method == "POST" and (context["in_the_way"] or context["signed_in"]) else 200
        return render_page("accounts/staff_invitation.html", status=status, **context)
    name = (request.form.get("name") or "")[:MAX_FIELD]
    password = (request.form.get("password") or "")[:MAX_FIELD]

    def refused(refusal: DomainError | tokens.InvalidToken, status: int = 200) -> Response:
        return render_page(
            "accounts/staff_invitation.html", status=status, **context | {"name": name, "error": refusal.message}
        )

    on_refusal(refused)
    try:
        staff.accept(token, name=name, password=password)
    except tokens.InvalidToken as invalid:  # read before anything is written: nothing to undo
        return refused(invalid, 410)
    flash(
        _("Welcome to %(venue)s. Sign in with your email and the password you chose.", venue=row.venue.name), "success"
    )
    return redirect(url_for("accounts.sign_in", email=row.email), 303)
