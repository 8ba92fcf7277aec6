"""``/account/devices``: where you are signed in, and ending any of those sessions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.accounts import places, sessions
from app.accounts.forms import ConfirmForm
from app.web.blueprints import accounts as bp
from app.web.guards import check_confirm_form
from app.web.security_log import record_security_event


@bp.get("/devices")
@login_required
def devices():
    current_id = current_user.session_row.id if current_user.session_row is not None else None
    rows = [
        {
            "id": row.id,
            "browser": sessions.describe_browser(row.user_agent),
            "ip": row.ip or "unknown address",
            "place": places.place_of(row.ip),
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "remember": row.remember,
            "is_current": row.id == current_id,
        }
        for row in sessions.find_live_sessions(current_user)
    ]
    return render_template("accounts/devices.html", sessions=rows, form=ConfirmForm())


@bp.post("/devices/<int:session_id>/end")
@login_required
def end_device_session(session_id: int):
    check_confirm_form()
    user = current_user._get_current_object()
    ended = sessions.end_session(user, session_id, reason="ended from devices page")
    if ended is None:
        abort(404)
    record_security_event("account.session_ended", user_id=user.id, session_id=session_id)
    if user.session_row is not None and ended.id == user.session_row.id:
        return _signed_out(_("This device is signed out."))
    flash(_("That session is ended: the device is signed out."), "success")
    return redirect(url_for("accounts.devices"))


@bp.post("/devices/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    check_confirm_form()
    user = current_user._get_current_object()
    count = sessions.end_all_sessions(user, reason="signed out everywhere")
    record_security_event("account.signed_out_everywhere", user_id=user.id, sessions=count)
    return _signed_out(_("You are signed out on every device, this one included."))


def _signed_out(message: str):
    session.clear()
    logout_user()
    flash(message, "info")
    response = redirect(url_for("accounts.sign_in"))
    response.headers["Clear-Site-Data"] = '"cache"'  # as the sign-out button (sign_in.sign_out)
    return response
