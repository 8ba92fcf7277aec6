"""Two-factor pages: the code step of sign-in, setting it up, recovery codes, turning it off."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import two_factor
from app.accounts.forms import TwoFactorCodeForm, TwoFactorDisableForm, TwoFactorPasswordForm, TwoFactorSetupForm
from app.web.blueprints import accounts as bp
from app.web.profile_page import render_profile
from app.web.security_log import record_security_event
from app.web.signing_in import PENDING, finish_pending_sign_in, pending_sign_in, remember_this_device
from app.web.unit_of_work import on_refusal

SETUP_SECRET = "two_factor_setup_secret"  # noqa: S105  (a session key's name)


@bp.route("/two-factor", methods=["GET", "POST"])
def two_factor_sign_in():
    user, pending = pending_sign_in()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Sign in again: the code step timed out."), "info")
        return redirect(url_for("accounts.sign_in"))
    form = TwoFactorCodeForm()
    status = 200
    if form.validate_on_submit():
        attempt = two_factor.attempt_code(user, form.code.data)
        if attempt.refusal is None:
            response = finish_pending_sign_in(
                user, pending, two_factor=attempt.method, provider=pending.get("provider")
            )
            if form.remember_device.data:
                remember_this_device(response, user)
            if attempt.method == "recovery":
                flash(
                    _(
                        "You used a recovery code; %(count_unused_codes)s are left. Make new ones from your profile "
                        "if you're running low.",
                        count_unused_codes=two_factor.count_unused_codes(user),
                    ),
                    "warning",
                )
            return response
        # A refusal answers, and the failure count and the audit row are kept with it.
        action = "account.two_factor_refused" if attempt.paused else "account.two_factor_failed"
        record_security_event(action, user_id=user.id)
        form.code.errors.append(attempt.refusal.message)
        status = 429 if attempt.paused else 401
    elif form.errors:
        status = 422
    return render_template(
        "accounts/two_factor.html",
        form=form,
        has_totp=user.has_totp,
        has_passkey=user.has_passkey,
        has_codes=user.has_totp or two_factor.count_unused_codes(user) > 0,
    ), status


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    if current_user.has_totp:
        return redirect(url_for("accounts.profile"))
    secret = session.get(SETUP_SECRET)
    if request.method == "GET" or not isinstance(secret, str):
        secret = two_factor.new_secret()
        session[SETUP_SECRET] = secret
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        on_refusal(lambda error: _setup_page(form, secret, 422, error=error.message))
        codes = two_factor.enable(user, secret, form.code.data)
        session.pop(SETUP_SECRET, None)
        record_security_event("account.two_factor_enabled", user_id=user.id)
        return render_template("accounts/recovery_codes.html", codes=codes, first_time=True)
    return _setup_page(form, secret, 422 if form.errors else 200)


def _setup_page(form: TwoFactorSetupForm, secret: str, status: int, *, error: str | None = None):
    """The set-up page (its QR code and key), a refused code's ``error`` under the code field."""
    if error:
        form.code.errors.append(error)
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template(
        "accounts/two_factor_setup.html", form=form, qr=two_factor.qr_svg(uri), secret=secret
    ), status


@bp.post("/two-factor/recovery-codes")
@login_required
def two_factor_new_codes():
    form = TwoFactorPasswordForm(prefix="codes")
    if not current_user.has_two_factor:
        abort(409)
    if not form.validate_on_submit():
        return render_profile(422, two_factor_password_form=form)
    if not current_user.check_password(form.current_password.data):
        form.current_password.errors.append("Your current password is not right, so no new codes were made.")
        return render_profile(422, two_factor_password_form=form)
    codes = two_factor.replace_recovery_codes(current_user)
    record_security_event("account.recovery_codes_replaced", user_id=current_user.id)
    return render_template("accounts/recovery_codes.html", codes=codes, first_time=False)


@bp.post("/two-factor/disable")
@login_required
def two_factor_disable():
    form = TwoFactorDisableForm(prefix="off")
    if not current_user.has_totp:
        abort(409)
    if not form.validate_on_submit():
        return render_profile(422, two_factor_disable_form=form)
    user = current_user._get_current_object()
    if user.is_admin:
        flash(_("Administrators must keep two-factor sign-in on."), "danger")
        return render_profile(403)
    attempt = two_factor.disable(user, password=form.current_password.data, code=form.code.data)
    if attempt.refusal is not None:  # a wrong code still counts towards the pause; nothing else changed
        form.code.errors.append(attempt.refusal.message)
        return render_profile(429 if attempt.paused else 422, two_factor_disable_form=form)
    record_security_event("account.two_factor_disabled", user_id=user.id)
    flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for("accounts.profile"))
