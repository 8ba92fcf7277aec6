from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import service, sessions, two_factor
from app.accounts.avatars import replace_avatar
from app.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    EmailOnlyForm,
    ProfileForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
)
from app.accounts.tokens import InvalidToken
from app.privacy.consent import marketing_wording, record_marketing_choice
from app.web.blueprints import accounts as bp
from app.web.profile_page import render_profile
from app.web.security_log import record_security_event
from app.web.signing_in import _limit, _start_session, complete_sign_in, home_for, start_two_factor
from app.web.unit_of_work import on_refusal


@bp.route("/sign-up", methods=["GET", "POST"])
@_limit("SIGNUP_IP_LIMIT")
def sign_up():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignUpForm()

    form.marketing.label.text = marketing_wording()
    if request.method == "GET" and request.args.get("as") == "provider":
        form.role.data = "provider"
    if form.validate_on_submit():
        on_refusal(lambda error: _form_again("accounts/sign_up.html", form, form.password, error))
        user = service.sign_up(
            email=form.email.data, name=form.name.data, password=form.password.data, role=form.role.data
        )
        if user is not None:  # a new account (a taken address changes nothing, and says nothing)
            record_marketing_choice(user.id, granted=bool(form.marketing.data), source="sign_up")
        session["pending_email"] = service.normalize_email(form.email.data)
        return redirect(url_for("accounts.check_email"))
    status = 422 if form.errors else 200
    return render_template("accounts/sign_up.html", form=form), status


@bp.get("/check-email")
def check_email():
    return render_template("accounts/check_email.html", email=session.get("pending_email"), form=EmailOnlyForm())


@bp.post("/verify/resend")
@_limit("RESET_IP_LIMIT")
def resend_verification():
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        flash(_("Enter a valid email address."), "danger")
        return render_template("accounts/check_email.html", email=None, form=form), 422
    service.resend_verification(form.email.data)
    flash(_("If that address needs confirming, a new link is on its way."), "info")
    return redirect(url_for("accounts.check_email"))


@bp.get("/verify/<token>")
def verify_email(token: str):
    try:
        user = service.verify_email(token)
    except InvalidToken as exc:
        return _link_problem(exc.message, 400)
    flash(_("Your email is confirmed. Welcome to CozyWish!"), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(home_for(user))
    return redirect(url_for("accounts.sign_in", email=user.email))


@bp.route("/sign-in", methods=["GET", "POST"])
@_limit("SIGNIN_IP_LIMIT")
def sign_in():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"]
    status = 200
    if form.validate_on_submit():
        attempt = service.attempt_sign_in(form.email.data, form.password.data)
        if attempt.refusal is None:
            return _signed_in(attempt.user, remember=bool(form.remember.data))
        # A refusal answers, and the failure count and the audit row are kept with it.
        if attempt.paused:
            record_security_event("account.sign_in_refused", user_id=None, email=_attempted_email(form))
        else:
            known = service.get_user_by_email(form.email.data)
            record_security_event(
                "account.sign_in_failed", user_id=known.id if known else None, email=_attempted_email(form)
            )
        form.form_errors.append(attempt.refusal.message)
        status = 429 if attempt.paused else 401
    elif form.errors:
        status = 422
    return render_template("accounts/sign_in.html", form=form), status


def _signed_in(user, *, remember: bool):
    """The right password: on to the second step, unless this browser is remembered, or signed in."""
    cart_token = session.get("cart_token")  # the anonymous cart, read before the session goes
    next_url = request.args.get("next")
    if user.has_two_factor and not two_factor.device_is_remembered(user, request.cookies.get(two_factor.DEVICE_COOKIE)):
        session.clear()
        start_two_factor(user, remember=remember, next_url=next_url, cart_token=cart_token)
        return redirect(url_for("accounts.two_factor_sign_in"))
    return complete_sign_in(user, remember=remember, cart_token=cart_token, next_url=next_url)


@bp.post("/sign-out")
def sign_out():
    form = ConfirmForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            record_security_event("account.signed_out", user_id=current_user.id)
            if current_user.session_row is not None:
                sessions.end_session(current_user, current_user.session_row.id, reason="signed out")
        session.clear()
        logout_user()  # after clear(): it leaves the note that deletes the remember cookie
        flash(_("You are signed out."), "info")
    response = redirect(url_for("main.index"))
    # The browser drops what it cached of the signed-in pages; the service worker deletes its
    # offline copies of the booking pages when it sees this POST (docs/installable-app.md).
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route("/forgot-password", methods=["GET", "POST"])
@_limit("RESET_IP_LIMIT")
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        known = service.get_user_by_email(form.email.data)
        record_security_event(
            "account.password_reset_requested", user_id=known.id if known else None, email=_attempted_email(form)
        )
        flash(_("If an account uses that email, we've sent it a link to reset the password."), "info")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@_limit("RESET_IP_LIMIT")
def reset_password(token: str):
    try:
        user = service.get_user_for_reset(token)
    except InvalidToken as exc:
        return _link_problem(exc.message, 400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        on_refusal(lambda error: _form_again("accounts/reset_password.html", form, form.password, error, user=user))
        service.reset_password(token, form.password.data)
        record_security_event("account.password_reset", user_id=user.id)
        sessions.end_all_sessions(user, reason="password reset")
        logout_user()
        flash(_("Your password is changed. Sign in with it now."), "success")
        return redirect(url_for("accounts.sign_in", email=user.email))
    return render_template("accounts/reset_password.html", form=form, user=user), 422 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():

    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        on_refusal(lambda error: _profile_again(_refused_field(form, error), error, form=form))
        service.update_profile(
            current_user, name=form.name.data, phone=form.phone.data, date_of_birth=form.date_of_birth.data
        )
        upload = request.files.get("avatar")
        if upload and upload.filename:
            replace_avatar(current_user, upload.read())
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_profile(422 if form.errors else 200, form=form)


@bp.post("/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        on_refusal(lambda error: _profile_again(form.new_password, error, password_form=form))
        service.change_password(
            current_user, current_password=form.current_password.data, new_password=form.new_password.data
        )
        record_security_event("account.password_changed", user_id=current_user.id)
        sessions.end_all_sessions(current_user, reason="password changed")
        _start_session(current_user, remember=session.get("remember", False))
        login_user(current_user, remember=session.get("remember", False))  # new token and session
        flash(_("Your password is changed. Other devices were signed out."), "success")
        return redirect(url_for("accounts.profile"))
    return render_profile(422, password_form=form)


@bp.post("/email")
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        on_refusal(lambda error: _profile_again(form.new_email, error, email_form=form))
        service.request_email_change(
            current_user, new_email=form.new_email.data, current_password=form.current_password.data
        )
        record_security_event(
            "account.email_change_requested",
            user_id=current_user.id,
            new_email=service.normalize_email(form.new_email.data),
        )
        flash(_("We've sent a link to your new address. Your email changes when you open it."), "info")
        return redirect(url_for("accounts.profile"))
    return render_profile(422, email_form=form)


@bp.get("/email/confirm/<token>")
def confirm_email_change(token: str):
    on_refusal(lambda error: _link_problem(error.message, 409))  # the address was taken meanwhile
    try:
        changed = service.confirm_email_change(token)
    except InvalidToken as exc:
        return _link_problem(exc.message, 400)
    record_security_event("account.email_changed", user_id=changed.id, email=changed.email)
    flash(_("Your new email address is confirmed."), "success")
    return redirect(url_for("accounts.profile") if current_user.is_authenticated else url_for("accounts.sign_in"))


def _form_again(template: str, form, field, error, **context):
    """A refused form shown again, the service's message under ``field``."""
    field.errors.append(error.message)
    return render_template(template, form=form, **context), 422


def _refused_field(form, error):
    """The profile form's field a refusal names (the date of birth), else the photo's."""
    return getattr(form, getattr(error, "field", None) or "", form.avatar)


def _profile_again(field, error, **forms):
    """The profile page again, the refused form's message under ``field``."""
    field.errors.append(error.message)
    return render_profile(422, **forms)


def _link_problem(message: str, status: int):
    return render_template("accounts/link_problem.html", message=message, form=EmailOnlyForm()), status


def _attempted_email(form) -> str:
    """The address typed into a sign-in or reset form, normalised and cut to a sane length."""
    return service.normalize_email(form.email.data or "")[:254]
