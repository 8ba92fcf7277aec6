"""Privacy pages: settings (export, deletion, marketing consent), the export download, and
the privacy policy, terms and cookie pages."""

from __future__ import annotations

from io import BytesIO

from flask import abort, current_app, flash, make_response, redirect, render_template, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.accounts.forms import ConfirmForm
from app.ops.errors import http_status
from app.platform.errors import DomainError, ValidationFailed
from app.privacy import consent, deletion, exports, legal
from app.privacy.forms import DeleteAccountForm, MarketingForm
from app.web.blueprints import privacy as bp
from app.web.guards import check_confirm_form
from app.web.security_log import record_security_event
from app.web.unit_of_work import on_refusal

# -- legal pages ------------------------------------------------------------------------------


@bp.get("/privacy")
def policy():
    return render_template("privacy/policy.html", **legal.context())


@bp.get("/terms")
def terms():
    return render_template("privacy/terms.html", **legal.context())


@bp.get("/cookies")
def cookies():
    return render_template("privacy/cookies.html", **legal.context())


# -- settings ---------------------------------------------------------------------------------


def render_settings(status: int = 200, *, delete_form=None, marketing_form=None):
    user = current_user._get_current_object()
    if marketing_form is None:
        marketing_form = MarketingForm(marketing="yes" if consent.has_marketing_consent(user.id) else "no")
    return (
        render_template(
            "privacy/settings.html",
            exports=exports.find_exports(user.id),
            deletion_request=deletion.get_live_request(user.id),
            delete_form=delete_form or DeleteAccountForm(),
            marketing_form=marketing_form,
            latest_consent=consent.get_latest(user.id),
            form=ConfirmForm(),
            grace_days=current_app.config["ACCOUNT_DELETION_GRACE_DAYS"],
            export_days=current_app.config["DATA_EXPORT_DAYS"],
            upcoming_venue_bookings=deletion.upcoming_venue_bookings(user) if user.is_provider else 0,
        ),
        status,
    )


def settings_refused(refusal: DomainError):
    """The settings page again, the refusal (about the account, not a form) flashed above it."""
    flash(refusal.message, "warning")
    return render_settings(http_status(refusal))


@bp.get("/account/privacy")
@login_required
def settings():
    return render_settings()


@bp.post("/account/privacy/export")
@login_required
def request_export():
    check_confirm_form()
    on_refusal(settings_refused)
    exports.request_export(current_user._get_current_object())
    record_security_event("account.data_export_requested", user_id=current_user.id)
    flash(_("We're preparing your data. We'll email you a download link, usually within a few minutes."), "success")
    return redirect(url_for("privacy.settings"))


@bp.get("/account/privacy/exports/<token>")
@login_required
def download_export(token: str):
    if len(token) > 500:
        abort(404)
    on_refusal(lambda refusal: export_unavailable(refusal.message))  # not theirs, not ready, or expired
    export = exports.get_export_for_download(token, current_user._get_current_object())
    try:
        data = exports.read_export(export)
    except (FileNotFoundError, ValueError):
        return export_unavailable(_("This export is no longer available. Ask for a new one."))
    record_security_event("account.data_export_downloaded", user_id=current_user.id, export_id=export.id)
    name = f"cozywish-data-{export.ready_at:%Y-%m-%d}.zip"
    response = send_file(BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


def export_unavailable(message: str):
    return render_template("privacy/export_unavailable.html", message=message), 404


@bp.post("/account/privacy/delete")
@login_required
def request_deletion():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return render_settings(422, delete_form=form)
    on_refusal(lambda refusal: deletion_refused(form, refusal))
    deletion.request_deletion(current_user._get_current_object(), password=form.current_password.data)
    session.clear()
    logout_user()  # every session ended with the request; this browser's cookies go too
    flash(
        _(
            "Your account will be deleted in %(account_deletion_grace_days)s days and you are signed out everywhere. "
            "Changed your mind? Sign in and press “Keep my account”.",
            account_deletion_grace_days=current_app.config["ACCOUNT_DELETION_GRACE_DAYS"],
        ),
        "info",
    )
    return redirect(url_for("main.index"))


def deletion_refused(form: DeleteAccountForm, refusal: DomainError):
    if isinstance(refusal, ValidationFailed):  # the wrong password: under its field
        form.current_password.errors.append(refusal.message)
    else:  # already scheduled, upcoming venue bookings, an administrator: about the account, not the form
        flash(refusal.message, "warning")
    return render_settings(http_status(refusal), delete_form=form)


@bp.post("/account/privacy/delete/cancel")
@login_required
def cancel_deletion():
    check_confirm_form()
    on_refusal(settings_refused)
    deletion.cancel_deletion(current_user._get_current_object())
    flash(_("Your account will not be deleted. Welcome back!"), "success")
    return redirect(url_for("privacy.settings"))


@bp.post("/account/privacy/marketing")
@login_required
def marketing():
    form = MarketingForm()
    if not form.validate_on_submit():
        return render_settings(422, marketing_form=form)
    granted = form.marketing.data == "yes"
    changed = consent.record_marketing_choice(current_user.id, granted=granted, source="settings")
    if changed is None:
        flash(_("Your marketing email choice is unchanged."), "info")
    elif granted:
        flash(_("Thanks: we'll email you occasional offers. You can stop them here at any time."), "success")
    else:
        flash(_("Done: we won't send you marketing emails."), "success")
    return redirect(url_for("privacy.settings"))


# -- the unsubscribe link of marketing emails (signed out) --------------------------------------


def unsubscribe_refused(refusal: DomainError):
    return render_template("privacy/unsubscribe.html", refusal=refusal.message, form=None), http_status(refusal)


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """What the link in a marketing email opens: a button, so that a mail scanner following
    links withdraws nothing."""
    on_refusal(unsubscribe_refused)
    consent.unsubscribing_user(token[:500])
    response = make_response(render_template("privacy/unsubscribe.html", form=ConfirmForm(), done=False))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/unsubscribe/<token>")
def unsubscribe_confirmed(token: str):
    check_confirm_form()
    on_refusal(unsubscribe_refused)
    user_id = consent.unsubscribing_user(token[:500])
    consent.record_marketing_choice(user_id, granted=False, source="unsubscribe_link")
    return render_template("privacy/unsubscribe.html", form=None, done=True)
