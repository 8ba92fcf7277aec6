"""Signing in, shared by every way of proving who one is (password, two-factor code, passkey,
Google or Apple): the rate limit on sign-in forms, the halfway state between a right password
and the second step, and completing a sign-in (a new session, the cart and saved venues kept)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from app.accounts import service, sessions, two_factor
from app.accounts.access import is_safe_next
from app.booking import cart
from app.platform.extensions import limiter
from app.saved import service as saved_venues
from app.web import viewer
from app.web.security_log import record_security_event


def _limit(key: str):
    return limiter.limit(lambda: current_app.config[key], methods=["POST"], error_message=key)


def home_for(user) -> str:
    if user.is_admin:
        return url_for("admin.dashboard")
    if user.is_provider:
        return url_for("venues_dashboard.home")
    if user.is_staff:  # staff land on the calendar, which every role of theirs may open
        return url_for("venues_dashboard.calendar")
    return url_for("main.index")


def complete_sign_in(
    user,
    *,
    remember: bool,
    cart_token: str | None,
    next_url: str | None,
    two_factor: str | None = None,
    method: str = "password",
    provider: str | None = None,
):
    """Sign ``user`` in on this browser (a new server-side session) and send them on their way.

    ``method`` is how they proved who they are ("password", "passkey"); ``provider`` names the
    Google or Apple sign-in that vouched for them instead."""
    method = "provider" if provider else method
    details = {"remember": remember, "method": method} | ({"two_factor": two_factor} if two_factor else {})
    details |= {"provider": provider} if provider else {}
    record_security_event("account.signed_in", user_id=user.id, **details)
    _start_session(user, remember=remember)
    saved_while_signed_out = viewer.take_saved_from_session()  # read before the session goes
    session.clear()
    login_user(user, remember=remember)
    session["remember"] = remember
    session["last_seen"] = datetime.now(UTC).timestamp()
    if isinstance(cart_token, str) and cart_token and user.has_role("customer"):
        cart.merge_into_user(cart_token, user.id)
    if saved_while_signed_out:
        saved_venues.merge_into_user(saved_while_signed_out, user.id)
    flash(_("Welcome back, %(first_name)s.", first_name=user.first_name), "success")
    return redirect(next_url if is_safe_next(next_url) else home_for(user))


def _start_session(user, *, remember: bool) -> None:
    sessions.start_session(user, ip=request.remote_addr, user_agent=request.user_agent.string, remember=remember)


PENDING = "two_factor_pending"


PENDING_SECONDS = 600


def start_two_factor(
    user, *, remember: bool, next_url: str | None, cart_token: str | None, provider: str | None = None
) -> None:
    """After a right password (or Google or Apple's word): remember who is halfway signed in, for the code step."""
    session[PENDING] = {
        "provider": provider,
        "uid": user.id,
        "gen": user.two_factor_generation,
        "remember": remember,
        "next": next_url,
        "cart": cart_token,
        "at": datetime.now(UTC).timestamp(),
    }


def pending_sign_in():
    """The user halfway through signing in (right password, second step still to come), and the note."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or datetime.now(UTC).timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = service.get_user(pending.get("uid"))
    if user is None or not user.is_active or user.two_factor_generation != pending.get("gen"):
        return None, None
    return user, pending


def finish_pending_sign_in(user, pending: dict, *, two_factor: str, provider: str | None = None):
    """The second step passed: forget the note and sign in as it says (remember me, the cart, where next)."""
    session.pop(PENDING, None)
    return complete_sign_in(
        user,
        remember=pending["remember"],
        cart_token=pending.get("cart"),
        next_url=pending.get("next"),
        two_factor=two_factor,
        provider=provider,
    )


def remember_this_device(response, user) -> None:
    """Skip the second step in this browser for DEVICE_DAYS (until two-factor settings change)."""
    response.set_cookie(
        two_factor.DEVICE_COOKIE,
        two_factor.device_token(user),
        max_age=two_factor.DEVICE_DAYS * 86400,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
