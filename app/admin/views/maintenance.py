"""``/admin/maintenance``: an admin turns maintenance mode on (a message, an expected end) or
off; each switch is in the audit log (app/ops/maintenance.py holds the rules)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.access import role_required
from app.ops import maintenance
from app.platform.errors import DomainError
from app.web.blueprints import admin as bp
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


@bp.get("/maintenance")
@role_required("admin")
def maintenance_page():
    return maintenance_form()


@bp.post("/maintenance")
@role_required("admin")
def switch_maintenance():
    action = request.form.get("action", "")
    message, until = request.form.get("message", ""), request.form.get("until", "")
    on_refusal(lambda refusal: maintenance_form(refusal.message, message=message, until=until, status=400))
    now = datetime.now(UTC)
    if action == "on":
        ends_at = maintenance.parse_end(until, now)
        maintenance.switch_on(message, ends_at, actor_id=current_user.id, source="admin", now=now)
        flash(_("Maintenance mode is on: visitors see the maintenance page."), "warning")
    elif action == "off":
        maintenance.switch_off(actor_id=current_user.id, source="admin", now=now)
        flash(_("Maintenance mode is off: the site is open again."), "success")
    else:
        raise DomainError(_("Choose to turn maintenance mode on or off."))
    return redirect(url_for("admin.maintenance_page"))


def maintenance_form(error: str | None = None, *, message: str | None = None, until: str = "", status: int = 200):
    state = maintenance.read_state()
    if message is None:
        message = state.message
        until = state.ends_at.strftime("%Y-%m-%dT%H:%MZ") if state.ends_at else ""
    return render_page(
        "admin/maintenance.html",
        state=state,
        error=error,
        message=message,
        until=until,
        message_max=maintenance.MESSAGE_MAX,
        status=status,
    )
