"""OAuth 2.0 endpoints for third-party apps (docs/api.md, "OAuth 2.0"), through Authlib's
authorization server (app/accounts/oauth_server.py):

- ``/oauth/authorize``: signed in, the user sees a consent screen naming the app, its owner and
  each scope in plain words; Allow or Deny is a CSRF-checked POST to the same URL. A request we
  can't send back (unknown client, a redirect URI the app didn't register) is a page here, never
  a redirect; every other refusal goes back to the app as ``error=...&state=...``.
- ``/oauth/token`` and ``/oauth/revoke``: called by the app's server, not a browser, so no CSRF
  (the client authenticates instead); answers and errors are RFC 6749 JSON.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from flask import Response, render_template, request
from flask_login import current_user, login_required

from app.accounts import api_tokens, oauth_apps
from app.accounts.forms import ConfirmForm
from app.accounts.oauth_models import OAuthToken
from app.accounts.oauth_server import current_server
from app.platform.extensions import csrf
from app.web.blueprints import oauth as bp
from app.web.security_log import record_security_event

# The consent page's policy: the app's, with the app's redirect origin as a form target (Allow
# and Deny answer with a redirect there, which browsers check against form-action).
CONSENT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self' {origin}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def problem_page(error: OAuth2Error) -> tuple[str, int, dict[str, str]]:
    """An error we must not redirect (RFC 6749 4.1.2.1): tell the person, with the RFC's code."""
    page = render_template(
        "accounts/oauth_problem.html", error=error.error, description=error.get_error_description() or ""
    )
    return page, 400, NO_STORE


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


@bp.route("/authorize", methods=["GET", "POST"])
@login_required
def authorize():
    server = current_server()
    user = current_user._get_current_object()
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        if error.redirect_uri:
            return server.handle_error_response(None, error)
        return problem_page(error)
    if request.method == "GET":
        app = grant.client
        page = render_template(
            "accounts/oauth_consent.html",
            app=app,
            owner=oauth_apps.owner_label(app.owner),
            scopes=[(name, api_tokens.SCOPE_LABELS[name]) for name in grant.request.scope.split()],
            redirect_host=urlsplit(grant.redirect_uri).netloc,
            form=ConfirmForm(),
        )
        headers = {**NO_STORE, "Content-Security-Policy": CONSENT_POLICY.format(origin=origin_of(grant.redirect_uri))}
        return page, 200, headers
    allowed = request.form.get("decision") == "allow"
    response = server.create_authorization_response(grant=grant, grant_user=user if allowed else None)
    if allowed and response.status_code == 302 and "code=" in response.headers.get("Location", ""):
        record_security_event("account.oauth_app_authorised", user_id=user.id, app_id=grant.client.id)
    response.headers.update(NO_STORE)
    return response


# The consent page sets its own CSP (above); Talisman keeps X-Frame-Options: DENY on it.
authorize.talisman_view_options = {"content_security_policy": None}


@bp.post("/token")
@csrf.exempt
def token() -> Response:
    # Authlib refuses before it writes anything, so a refusal keeps only what follows here.
    response = current_server().create_token_response()
    reused = reused_refresh_token(response)
    if reused is not None:  # the family's revocation stands, though the answer is a refusal
        record_security_event("account.oauth_refresh_reused", user_id=reused.user_id, app_id=reused.app_id)
    return response


def reused_refresh_token(response: Response) -> OAuthToken | None:
    """A refused refresh whose token was rotated away (or revoked): its family is revoked."""
    if request.form.get("grant_type") != "refresh_token" or response.status_code != 400:
        return None
    if (response.get_json(silent=True) or {}).get("error") != "invalid_grant":
        return None
    return oauth_apps.revoke_family_if_reused(request.form.get("refresh_token") or "")


@bp.post("/revoke")
@csrf.exempt
def revoke() -> Response:
    return current_server().create_endpoint_response("revocation")  # a refusal has written nothing
