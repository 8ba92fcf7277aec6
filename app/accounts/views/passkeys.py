"""Passkey pages and JSON steps: adding and removing passkeys, signing in with one alone, and
using one as the second step after a password.

Each ceremony is two POSTs from static/js/passkeys.js (both need the CSRF header): the first
gets options and a challenge (kept in this browser's session), the second sends the
browser's answer. Answers and errors are JSON: ``{"redirect": url}`` or ``{"error": text}``.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from webauthn import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url

from app.accounts import passkeys, two_factor
from app.accounts.forms import ConfirmForm
from app.accounts.service import check_sign_in_allowed, clear_failed_sign_ins, record_failed_sign_in
from app.ops.errors import http_status
from app.platform.errors import DomainError, TooManyAttempts
from app.platform.extensions import db
from app.web.blueprints import accounts as bp
from app.web.profile_page import render_profile
from app.web.security_log import record_security_event
from app.web.signing_in import PENDING, _limit, complete_sign_in, home_for, pending_sign_in, remember_this_device

CHALLENGE = "passkey_challenge"


def _hand_out_challenge(purpose: str, user_id: int | None) -> bytes:
    challenge = passkeys.issue_challenge(purpose, user_id)
    session[CHALLENGE] = {"purpose": purpose, "value": bytes_to_base64url(challenge)}
    return challenge


def _take_challenge(purpose: str, user_id: int | None) -> bytes:
    """This session's challenge for ``purpose``, used up whatever the answer turns out to be."""
    kept = session.pop(CHALLENGE, None)
    value = kept.get("value") if isinstance(kept, dict) and kept.get("purpose") == purpose else None
    try:
        challenge = base64url_to_bytes(value) if isinstance(value, str) else None
    except ValueError:
        challenge = None
    return passkeys.consume_challenge(challenge, purpose, user_id)


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, _("Send the passkey answer as a JSON object."))
    return data


def _error(exc: DomainError):
    return jsonify(error=exc.message), http_status(exc)


def _signed_in_json(response):
    """complete_sign_in() answers with a redirect; the script wants the address as JSON."""
    return jsonify(redirect=response.location)


# -- adding and removing ----------------------------------------------------------------


@bp.post("/passkeys/options")
@login_required
def passkey_registration_options():
    user = current_user._get_current_object()
    options = passkeys.registration_options(user, _hand_out_challenge("register", user.id))
    db.session.commit()
    return jsonify(options)


@bp.post("/passkeys")
@login_required
def passkey_register():
    data = _body()
    user = current_user._get_current_object()
    try:
        challenge = _take_challenge("register", user.id)
        passkey = passkeys.register(user, name=data.get("name"), credential=data.get("credential"), challenge=challenge)
    except DomainError as exc:
        # Nothing was added; the used-up challenge stays deleted with the audit row.
        record_security_event("account.passkey_refused", user_id=user.id, step="register", reason=exc.message)
        db.session.commit()
        return _error(exc)
    record_security_event("account.passkey_added", user_id=user.id, passkey_id=passkey.id, name=passkey.name)
    db.session.commit()
    flash(_("Passkey “%(passkey_name)s” added. You can use it to sign in.", passkey_name=passkey.name), "success")
    return jsonify(redirect=url_for("accounts.profile"))  # no #fragment: that would not reload the page


@bp.post("/passkeys/<int:passkey_id>/remove")
@login_required
def passkey_remove(passkey_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    try:
        removed = passkeys.remove(user, passkey_id)
    except passkeys.PasskeyNotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "danger")
        return render_profile(403)
    record_security_event("account.passkey_removed", user_id=user.id, passkey_id=passkey_id, name=removed.name)
    db.session.commit()
    flash(
        _("Passkey “%(removed_name)s” removed. It can't be used to sign in any more.", removed_name=removed.name),
        "success",
    )
    return redirect(url_for("accounts.profile") + "#passkeys-heading")


# -- signing in without a password -------------------------------------------------------


def _refused(exc: DomainError, *, step: str, user_id: int | None):
    action = "account.passkey_cloned" if isinstance(exc, passkeys.SignCountWentBack) else "account.passkey_refused"
    record_security_event(action, user_id=user_id, step=step, reason=exc.message)
    db.session.commit()  # the used-up challenge and the audit row; nothing else changed
    return _error(exc)


@bp.post("/passkeys/sign-in/options")
@_limit("SIGNIN_IP_LIMIT")
def passkey_sign_in_options():
    if current_user.is_authenticated:
        return jsonify(redirect=home_for(current_user))
    options = passkeys.authentication_options(_hand_out_challenge("sign_in", None), user=None)
    db.session.commit()
    return jsonify(options)


@bp.post("/passkeys/sign-in")
@_limit("SIGNIN_IP_LIMIT")
def passkey_sign_in():
    if current_user.is_authenticated:
        return jsonify(redirect=home_for(current_user))
    data = _body()
    credential = data.get("credential")
    try:
        challenge = _take_challenge("sign_in", None)
        user, _passkey = passkeys.authenticate(credential, challenge=challenge, user=None)
    except DomainError as exc:
        owner = _owner_of(credential)
        return _refused(exc, step="sign_in", user_id=owner)
    next_url = data.get("next") if isinstance(data.get("next"), str) else None
    response = complete_sign_in(
        user,
        remember=data.get("remember") is True,
        cart_token=session.get("cart_token"),
        next_url=next_url,
        two_factor="passkey",
        method="passkey",
    )
    return _signed_in_json(response)


def _owner_of(credential: object) -> int | None:
    """For the audit log: whose passkey a refused answer named, if it named a known one."""
    try:
        owner, _passkey = passkeys.find_credential_owner(credential)
    except DomainError:
        return None
    return owner.id


# -- a passkey as the second step after the password -------------------------------------


@bp.post("/two-factor/passkey/options")
def passkey_second_factor_options():
    user, _pending = pending_sign_in()
    if user is None or not user.has_passkey:
        return jsonify(error=_("Sign in again: the second step timed out.")), 409
    options = passkeys.authentication_options(_hand_out_challenge("second_factor", user.id), user=user)
    db.session.commit()
    return jsonify(options)


@bp.post("/two-factor/passkey")
def passkey_second_factor():
    user, pending = pending_sign_in()
    if user is None:
        session.pop(PENDING, None)
        return jsonify(error=_("Sign in again: the second step timed out.")), 409
    data = _body()
    key = two_factor.throttle_key(user)
    try:
        check_sign_in_allowed(key)
    except TooManyAttempts:
        record_security_event("account.two_factor_refused", user_id=user.id, method="passkey")
        db.session.commit()
        return jsonify(
            error=_(
                "Too many failed attempts. For your security, two-factor sign-in is paused "
                "for this account for a few minutes."
            )
        ), 429
    try:
        challenge = _take_challenge("second_factor", user.id)
        passkeys.authenticate(data.get("credential"), challenge=challenge, user=user)
    except DomainError as exc:
        record_failed_sign_in(key)
        return _refused(exc, step="second_factor", user_id=user.id)
    clear_failed_sign_ins(key)
    session.pop(PENDING, None)
    response = complete_sign_in(
        user,
        remember=pending["remember"],
        cart_token=pending.get("cart"),
        next_url=pending.get("next"),
        two_factor="passkey",
    )
    answer = _signed_in_json(response)
    if data.get("remember_device") is True:
        remember_this_device(answer, user)
    return answer
