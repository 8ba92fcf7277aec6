"""``/account/api-tokens``: personal access tokens for the API. A new token is shown once, on
the page that made it; the list shows each token's name, scopes, start and last use, and
revokes any of them."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import api_tokens, oauth_apps
from app.accounts.forms import ApiTokenForm, ConfirmForm
from app.web.blueprints import accounts as bp
from app.web.security_log import confirmed_change, record_security_event
from app.web.unit_of_work import on_refusal


def tokens_page(form: ApiTokenForm, *, new_token: str | None = None, status: int = 200):
    page = render_template(
        "accounts/api_tokens.html",
        tokens=api_tokens.list_tokens(current_user.id),
        form=form,
        confirm=ConfirmForm(),
        new_token=new_token,
        scope_labels=api_tokens.SCOPE_LABELS,
        authorised=oauth_apps.list_authorised_apps(current_user.id),
    )
    return page, status, {"Cache-Control": "private, no-store"}


def with_name_error(form: ApiTokenForm, message: str) -> ApiTokenForm:
    form.name.errors = [*form.name.errors, message]
    return form


@bp.get("/api-tokens", endpoint="api_tokens")
@login_required
def api_tokens_page():
    return tokens_page(ApiTokenForm(formdata=None, scopes=["read"]))


@bp.post("/api-tokens")
@login_required
def create_api_token():
    form = ApiTokenForm()
    if not form.validate():
        return tokens_page(form, status=400)
    on_refusal(lambda refusal: tokens_page(with_name_error(form, refusal.message)))  # with the refusal's status
    token, plain = api_tokens.create_token(current_user.id, name=form.name.data, scopes=form.scopes.data)
    record_security_event("account.api_token_created", user_id=current_user.id, token_id=token.id)
    return tokens_page(ApiTokenForm(formdata=None, scopes=["read"]), new_token=plain)


@bp.post("/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    return confirmed_change(
        lambda: api_tokens.revoke_token(current_user.id, token_id),
        event="account.api_token_revoked",
        done=_("Token revoked: it no longer works."),
        back="accounts.api_tokens",
        token_id=token_id,
    )
