"""The admin area: users (find, suspend, restore) and the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.accounts.access import role_required
from app.accounts.forms import ConfirmForm
from app.accounts.models import Role, User, new_session_token
from app.accounts.sessions import end_all_sessions
from app.admin.listing import like_pattern, paginate, parse_page
from app.audit import service as audit
from app.platform.extensions import db
from app.venues.models import Venue, VenueStatus
from app.web.blueprints import admin as bp
from app.web.guards import check_confirm_form
from app.web.loaders import admin_row
from app.web.rendering import render_page


@bp.before_request
def admins_use_two_factor():
    """Administrators must have two-factor sign-in on before the admin area opens."""
    if current_user.is_authenticated and current_user.is_admin and not current_user.has_two_factor:
        flash(_("Administrators must turn on two-factor sign-in before using the admin area."), "warning")
        return redirect(url_for("accounts.two_factor_setup"))
    return None


@bp.get("/")
@role_required("admin")
def dashboard():
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    waiting = db.session.scalar(
        select(func.count()).select_from(Venue).where(Venue.status == VenueStatus.PENDING_REVIEW)
    )
    return render_page(
        "admin/dashboard.html", counts=counts, waiting_for_review=waiting, recent=audit.find_entries(limit=10)
    )


@bp.get("/users")
@role_required("admin")
def users():
    q = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    if role and role not in {r.value for r in Role}:
        abort(400, _("Unknown role filter."))
    page = parse_page(request.args.get("page"))
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if q:
        like = like_pattern(q)
        query = query.where(or_(User.email.ilike(like), User.name.ilike(like)))
    if role:
        query = query.where(User.role == role)
    found = paginate(query, page)
    return render_page(
        "admin/users.html",
        "results",
        users=found.rows,
        q=q,
        role=role,
        **found.paging(),
        form=ConfirmForm(),
    )


@bp.post("/users/<int:user_id>/<any(suspend, restore):action>")
@role_required("admin")
@admin_row(User)
def set_user_active(user: User, action: str):
    check_confirm_form()
    if user.id == current_user.id:
        flash(_("You can't suspend your own account."), "danger")
        return redirect(url_for("admin.users"))
    active = action == "restore"
    if user.is_active_account != active:
        user.is_active_account = active
        if not active:
            user.session_token = new_session_token()  # signs them out everywhere
            end_all_sessions(user, reason="suspended")
        audit.record(
            f"user.{action}",
            actor_id=current_user.id,
            about=("user", user.id),
            from_state="active" if not active else "suspended",
            to_state="active" if active else "suspended",
        )
    if active:
        flash(_("%(name)s is restored.", name=user.name), "success")
    else:
        flash(_("%(name)s is suspended.", name=user.name), "success")
    return redirect(url_for("admin.users", q=request.args.get("q", "")))


@bp.get("/audit")
@role_required("admin")
def audit_log():
    subject_type = request.args.get("subject", "")[:32] or None
    return render_page("admin/audit.html", "entries", entries=audit.find_entries(subject_type=subject_type, limit=200))
