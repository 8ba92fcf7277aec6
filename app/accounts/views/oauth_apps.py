"""``/account/oauth-apps``: third-party apps a user registers for OAuth 2.0 (name, redirect URIs,
scopes; the client secret shown once), edited and deleted by their owner only; and revoking an
app's access to your own account (listed on ``/account/api-tokens``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import api_tokens, oauth_apps
from app.accounts.forms import ConfirmForm, OAuthAppForm
from app.accounts.oauth_models import OAuthApp
from app.web.blueprints import accounts as bp
from app.web.loaders import own_row
from app.web.security_log import confirmed_change, record_security_event
from app.web.unit_of_work import on_refusal

PRIVATE = {"Cache-Control": "private, no-store"}


def apps_page(form: OAuthAppForm, *, created: OAuthApp | None = None, secret: str | None = None, status: int = 200):
    page = render_template(
        "accounts/oauth_apps.html",
        apps=oauth_apps.list_apps(current_user.id),
        form=form,
        confirm=ConfirmForm(),
        created=created,
        secret=secret,
        scope_labels=api_tokens.SCOPE_LABELS,
    )
    return page, status, PRIVATE


def edit_page(app: OAuthApp, form: OAuthAppForm, *, status: int = 200):
    page = render_template("accounts/oauth_app_edit.html", app=app, form=form, scope_labels=api_tokens.SCOPE_LABELS)
    return page, status, PRIVATE


def blank_form() -> OAuthAppForm:
    return OAuthAppForm(formdata=None, scopes=["read"], client_type="confidential")


def with_uri_error(form: OAuthAppForm, message: str) -> OAuthAppForm:
    """The form, the service's refusal added under the redirect URIs (where most of them are)."""
    form.redirect_uris.errors = [*form.redirect_uris.errors, message]
    return form


# The app a URL names, if the signed-in person owns it (404 otherwise, like a missing one).
own_app = own_row(OAuthApp, name="app", owner_of=lambda app: app.owner_id)


@bp.get("/oauth-apps", endpoint="oauth_apps")
@login_required
def oauth_apps_page():
    return apps_page(blank_form())


@bp.post("/oauth-apps")
@login_required
def register_oauth_app():
    form = OAuthAppForm()
    if not form.validate():
        return apps_page(form, status=400)
    on_refusal(lambda refusal: apps_page(with_uri_error(form, refusal.message)))  # with the refusal's status
    app, secret = oauth_apps.register_app(
        current_user.id,
        name=form.name.data,
        redirect_uris=form.redirect_uris.data,
        scopes=form.scopes.data,
        public=form.client_type.data == "public",
    )
    record_security_event("account.oauth_app_registered", user_id=current_user.id, app_id=app.id)
    return apps_page(blank_form(), created=app, secret=secret)


@bp.get("/oauth-apps/<int:app_id>", endpoint="oauth_app")
@login_required
@own_app
def oauth_app_page(app: OAuthApp):
    form = OAuthAppForm(
        formdata=None,
        name=app.name,
        redirect_uris="\n".join(app.redirect_uris),
        scopes=list(app.scopes),
        client_type="public" if app.is_public else "confidential",
    )
    return edit_page(app, form)


@bp.post("/oauth-apps/<int:app_id>")
@login_required
@own_app
def update_oauth_app(app: OAuthApp):
    form = OAuthAppForm()
    form.client_type.data = "public" if app.is_public else "confidential"  # fixed once registered
    if not form.validate():
        return edit_page(app, form, status=400)
    on_refusal(lambda refusal: edit_page(app, with_uri_error(form, refusal.message)))  # app as stored
    oauth_apps.update_app(
        current_user.id, app.id, name=form.name.data, redirect_uris=form.redirect_uris.data, scopes=form.scopes.data
    )
    record_security_event("account.oauth_app_changed", user_id=current_user.id, app_id=app.id)
    flash(_("App saved."), "success")
    return redirect(url_for("accounts.oauth_apps"), 303)


@bp.post("/oauth-apps/<int:app_id>/delete")
@login_required
def delete_oauth_app(app_id: int):
    return confirmed_change(
        lambda: oauth_apps.delete_app(current_user.id, app_id),
        event="account.oauth_app_deleted",
        done=_("App deleted: every token it held stopped working."),
        back="accounts.oauth_apps",
        app_id=app_id,
    )


@bp.post("/authorised-apps/<int:app_id>/revoke")
@login_required
def revoke_authorised_app(app_id: int):
    return confirmed_change(
        lambda: oauth_apps.revoke_app_access(current_user.id, app_id),
        event="account.oauth_access_revoked",
        done=_("Access revoked: the app can no longer use your account."),
        back="accounts.api_tokens",
        app_id=app_id,
    )
