"""Security events from a page: the audit log's record (``app.accounts.security_log``) with the
request's IP address and browser."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, request, url_for
from flask_login import current_user

from app.accounts import security_log
from app.ops.errors import render_error
from app.web.guards import check_confirm_form
from app.web.unit_of_work import on_refusal


def record_security_event(action: str, *, user_id: int | None, email: str | None = None, **data: object) -> None:
    """Audit ``action`` ("account.signed_in", ...) for ``user_id`` with the request's IP and browser."""
    security_log.record_security_event(
        action,
        user_id=user_id,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        email=email,
        **data,
    )


def confirmed_change(change: Callable[[], object], *, event: str, done: str, back: str, **data: object):
    """A "Revoke" or "Delete" button's POST on the signed-in person's own row: a bad or missing
    CSRF token is a 400, a row that isn't theirs (the change refuses it: ``NotFound``) a 404;
    otherwise the change is audited as ``event`` with ``data``, and the person sent back to
    ``back`` with ``done``."""
    check_confirm_form()
    on_refusal(lambda _not_found: render_error(404))  # the page abort(404) shows
    change()
    record_security_event(event, user_id=current_user.id, **data)
    flash(done, "success")
    return redirect(url_for(back), 303)
