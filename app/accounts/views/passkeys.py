"""Passkey pages and JSON steps: adding and removing passkeys, signing in with one alone, and
using one as the second step after a password.

Each ceremony is two POSTs from static/js/passkeys.js (both need the CSRF header): the first
gets options and a challenge (kept in this browser's session), the second sends the
browser's answer. Answers and errors are JSON: ``{"redirect": url}`` or ``{"error": text}``.
"""

from __future__ import annotations

import functools

from flask import abort, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from webauthn import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url

from app.accounts import passkeys, two_factor
from app.ops.errors import http_status, render_error
from app.platform.errors import DomainError
from app.web.blueprints import accounts as bp
from app.web.guards import check_confirm_form
from app.web.profile_page import render_profile
from app.web.security_log import record_security_event
from app.web.signing_in import (
    PENDING,
    _limit,
    complete_sign_in,
    finish_pending_sign_in,
    home_for,
    pending_sign_in,
    remember_this_device,
)
from app.web.unit_of_work import on_refusal

CHALLENGE = "passkey_challenge"


def _hand_out_challenge(purpose: str, user_id: int | None) -> bytes:
    challenge = passkeys.issue_challenge(purpose, user_id)
    session[CHALLENGE] = {"purpose": purpose, "value": bytes_to_base64url(challenge)}
    return challenge


def _take_challenge(purpose: str) -> bytes | None:
    """This session's challenge for ``purpose``, taken from it whatever the answer turns out to be
    (the ceremony uses it up in the database too)."""
    kept = session.pop(CHALLENGE, None)
    value = kept.get("value") if isinstance(kept, dict) and kept.get("purpose") == purpose else None
    try:
        return base64url_to_bytes(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, _("Send the passkey answer as a JSON object."))
    return data


def _error(exc: DomainError):
    return jsonify(error=exc.message), http_status(exc)


def _signed_out_only(view):
    """A passwordless sign-in step asked for by someone already signed in: their home page, as
    the address the script goes to."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated:
            return jsonify(redirect=home_for(current_user))
        return view(*args, **kwargs)

    return wrapped


def _signed_in_json(response):
    """complete_sign_in() answers with a redirect; the script wants the address as JSON."""
    return jsonify(redirect=response.location)


# -- adding and removing ----------------------------------------------------------------


@bp.post("/passkeys/options")
@login_required
def passkey_registration_options():
    user = current_user._get_current_object()
    options = passkeys.registration_options(user, _hand_out_challenge("register", user.id))
    return jsonify(options)


@bp.post("/passkeys")
@login_required
def passkey_register():
    data = _body()
    user = current_user._get_current_object()
    added = passkeys.add(
        user, name=data.get("name"), credential=data.get("credential"), challenge=_take_challenge("register")
    )
    if added.refusal is not None:
        # Nothing was added; the used-up challenge stays deleted with the audit row.
        reason = added.refusal.message
        record_security_event("account.passkey_refused", user_id=user.id, step="register", reason=reason)
        return _error(added.refusal)
    passkey = added.passkey
    record_security_event("account.passkey_added", user_id=user.id, passkey_id=passkey.id, name=passkey.name)
    flash(_("Passkey “%(passkey_name)s” added. You can use it to sign in.", passkey_name=passkey.name), "success")
    return jsonify(redirect=url_for("accounts.profile"))  # no #fragment: that would not reload the page


@bp.post("/passkeys/<int:passkey_id>/remove")
@login_required
def passkey_remove(passkey_id: int):
    check_confirm_form()
    user = current_user._get_current_object()
    on_refusal(_removal_refused)
    removed = passkeys.remove(user, passkey_id)
    record_security_event("account.passkey_removed", user_id=user.id, passkey_id=passkey_id, name=removed.name)
    flash(
        _("Passkey “%(removed_name)s” removed. It can't be used to sign in any more.", removed_name=removed.name),
        "success",
    )
    return redirect(url_for("accounts.profile") + "#passkeys-heading")


def _removal_refused(error: DomainError):
    if isinstance(error, passkeys.PasskeyNotFound):
        return render_error(404)  # the page abort(404) shows: not theirs, or gone
    flash(error.message, "danger")  # an administrator's last second step
    return render_profile(403)


# -- signing in without a password -------------------------------------------------------


def _refused(refusal: DomainError, *, step: str, user_id: int | None):
    """A refused answer: audited, and kept with the used-up challenge; nothing else changed."""
    cloned = isinstance(refusal, passkeys.SignCountWentBack)
    action = "account.passkey_cloned" if cloned else "account.passkey_refused"
    record_security_event(action, user_id=user_id, step=step, reason=refusal.message)
    return _error(refusal)


@bp.post("/passkeys/sign-in/options")
@_limit("SIGNIN_IP_LIMIT")
@_signed_out_only
def passkey_sign_in_options():
    options = passkeys.authentication_options(_hand_out_challenge("sign_in", None), user=None)
    return jsonify(options)


@bp.post("/passkeys/sign-in")
@_limit("SIGNIN_IP_LIMIT")
@_signed_out_only
def passkey_sign_in():
    data = _body()
    credential = data.get("credential")
    signed = passkeys.sign_in(credential, challenge=_take_challenge("sign_in"))
    if signed.refusal is not None:
        return _refused(signed.refusal, step="sign_in", user_id=passkeys.owner_id_of(credential))
    next_url = data.get("next") if isinstance(data.get("next"), str) else None
    response = complete_sign_in(
        signed.owner,
        remember=data.get("remember") is True,
        cart_token=session.get("cart_token"),
        next_url=next_url,
        two_factor="passkey",
        method="passkey",
    )
    return _signed_in_json(response)


# -- a passkey as the second step after the password -------------------------------------


@bp.post("/two-factor/passkey/options")
def passkey_second_factor_options():
    user, _pending = pending_sign_in()
    if user is None or not user.has_passkey:
        return jsonify(error=_("Sign in again: the second step timed out.")), 409
    options = passkeys.authentication_options(_hand_out_challenge("second_factor", user.id), user=user)
    return jsonify(options)


@bp.post("/two-factor/passkey")
def passkey_second_factor():
    user, pending = pending_sign_in()
    if user is None:
        session.pop(PENDING, None)
        return jsonify(error=_("Sign in again: the second step timed out.")), 409
    data = _body()
    if two_factor.is_paused(user):
        record_security_event("account.two_factor_refused", user_id=user.id, method="passkey")
        return jsonify(
            error=_(
                "Too many failed attempts. For your security, two-factor sign-in is paused "
                "for this account for a few minutes."
            )
        ), 429
    checked = passkeys.second_step(user, data.get("credential"), challenge=_take_challenge("second_factor"))
    if checked.refusal is not None:  # counted towards the pause, as a wrong code is
        return _refused(checked.refusal, step="second_factor", user_id=user.id)
    response = finish_pending_sign_in(user, pending, two_factor="passkey")
    answer = _signed_in_json(response)
    if data.get("remember_device") is True:
        remember_this_device(answer, user)
    return answer
