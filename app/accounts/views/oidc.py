"""Google and Apple sign-in pages: start a flow, take the provider's answer, remove a link.

``/account/oidc/<provider>/start`` signs in (or signs up) when nobody is signed in, and
links the provider to the signed-in account otherwise (then it needs the page's CSRF token
in the query: the button is a link, because a form's redirect to another site would break
the ``form-action 'self'`` policy). The callback checks that this browser started the flow
(our own record and Authlib's state), then Authlib checks the code, PKCE and the id_token.
Apple answers with a cross-site POST (``response_mode=form_post``): that one view is exempt
from CSRF (state, nonce and PKCE protect it) and relays the answer to the GET callback
through a short-lived signed cookie, since the Lax session cookie doesn't come with such a POST.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app.accounts import oidc, oidc_links, service, sessions, tokens, two_factor
from app.accounts.access import is_safe_next
from app.accounts.forms import RemovePasswordForm
from app.ops.errors import http_status
from app.platform.errors import DomainError, ValidationFailed
from app.platform.extensions import csrf, limiter
from app.platform.urls import absolute_url
from app.web.blueprints import accounts as bp
from app.web.guards import check_confirm_form
from app.web.profile_page import render_profile
from app.web.security_log import record_security_event
from app.web.signing_in import _start_session, complete_sign_in, start_two_factor
from app.web.unit_of_work import on_refusal

FLOW = "oidc_flow"
FLOW_SECONDS = 600
RELAY_COOKIE = "cozywish_oidc_relay"
RELAY_SECONDS = 300
_RELAY_PURPOSE = "oidc-relay"
_FIELD_MAX = 4096
_RELAYED_FIELDS = {"code": 1024, "state": 256, "error": 128, "user": 512}


def _provider_or_404(name: str) -> oidc.Provider:
    provider = oidc.get_provider(name) if len(name) <= 16 else None
    if provider is None:
        abort(404)
    return provider


def _limit():
    """The sign-in rate limit per address, on every method (the provider's answer is a GET or a POST)."""
    return limiter.limit(lambda: current_app.config["SIGNIN_IP_LIMIT"], error_message="SIGNIN_IP_LIMIT")


def _problem(message: str, status: int):
    return render_template("accounts/oidc_problem.html", message=message), status


def _problem_of(refusal: DomainError):
    return _problem(refusal.message, http_status(refusal))


def _profile_refused(refusal: DomainError):
    """The profile page again, the refusal flashed above it."""
    flash(refusal.message, "danger")
    return render_profile(http_status(refusal))


@bp.get("/oidc/<provider_name>/start")
@_limit()
def oidc_start(provider_name: str):
    provider = _provider_or_404(provider_name)
    intent = "link" if current_user.is_authenticated else "sign_in"
    if intent == "link":
        try:
            validate_csrf(request.args.get("csrf_token", ""))
        except ValidationError:
            return _problem(
                _(
                    "To link %(provider_label)s, use the button under “Sign-in methods” on your profile page.",
                    provider_label=provider.label,
                ),
                400,
            )
    next_url = request.args.get("next")
    on_refusal(_problem_of)  # the provider can't be reached
    url, state = oidc.authorization_url(provider, absolute_url("accounts.oidc_callback", provider_name=provider.name))
    session[FLOW] = {
        "provider": provider.name,
        "state": state,
        "intent": intent,
        "uid": current_user.id if intent == "link" else None,
        "next": next_url if is_safe_next(next_url) else None,
        "at": datetime.now(UTC).timestamp(),
    }
    return redirect(url)


@bp.post("/oidc/<provider_name>/callback")
@_limit()
def oidc_form_post(provider_name: str):
    """The provider's POSTed answer (Apple): relay it to the GET callback, where the session is."""
    provider = _provider_or_404(provider_name)
    if not provider.posts_back:
        abort(405)
    # Bounded so the relayed answer always fits in one cookie (browsers drop those over 4 KB).
    answer = {key: request.form[key][:limit] for key, limit in _RELAYED_FIELDS.items() if key in request.form}
    if not answer.get("state"):
        return _problem(
            _(
                "%(provider_label)s sent back an incomplete answer, so nothing was changed. Start again.",
                provider_label=provider.label,
            ),
            400,
        )
    response = redirect(url_for("accounts.oidc_callback", provider_name=provider.name), code=303)
    response.set_cookie(
        RELAY_COOKIE,
        tokens.make_token(_RELAY_PURPOSE, answer),
        max_age=RELAY_SECONDS,
        path=url_for("accounts.oidc_callback", provider_name=provider.name),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


csrf.exempt(oidc_form_post)


@bp.get("/oidc/<provider_name>/callback")
@_limit()
def oidc_callback(provider_name: str):
    provider = _provider_or_404(provider_name)
    answer = _answer(provider)
    flow = session.pop(FLOW, None)
    if answer is None:
        return _finish(
            _problem(
                _(
                    "%(provider_label)s sent back an answer we couldn't read. Start again.",
                    provider_label=provider.label,
                ),
                400,
            )
        )
    if answer.get("error"):
        oidc.forget(provider, answer.get("state"))
        flash(
            _("%(provider_label)s sign-in was cancelled; nothing was changed.", provider_label=provider.label), "info"
        )
        back = url_for("accounts.profile") if current_user.is_authenticated else url_for("accounts.sign_in")
        return _finish(redirect(back))
    if not _flow_matches(flow, provider, answer.get("state")):
        return _finish(
            _problem(
                _(
                    "This %(provider_label)s sign-in didn't start in this browser, took too long, or was already "
                    "used. Start again.",
                    provider_label=provider.label,
                ),
                400,
            )
        )
    finished = oidc.finish(provider, code=answer.get("code"), state=answer.get("state"))
    if finished.refusal is not None:  # answered, and the audit row kept with the answer
        record_security_event(
            "account.provider_sign_in_failed",
            user_id=current_user.id if current_user.is_authenticated else None,
            provider=provider.name,
            reason=finished.refusal.message[:200],
        )
        return _finish(_problem_of(finished.refusal))
    identity = finished.identity
    if identity.name is None and answer.get("user"):
        identity = replace(identity, name=_apple_name(answer["user"]))
    if flow["intent"] == "link":
        return _finish(_link(provider, identity))
    return _finish(_sign_in(provider, identity, flow))


def _answer(provider: oidc.Provider) -> dict | None:
    """The provider's answer: the query string, or (Apple) what the POST relayed in the cookie."""
    if not provider.posts_back:
        return {
            key: request.args.get(key, "")[:_FIELD_MAX] for key in ("code", "state", "error") if key in request.args
        }
    relayed = request.cookies.get(RELAY_COOKIE)
    if not relayed or len(relayed) > 4 * _FIELD_MAX:
        return None
    try:
        answer = tokens.read_token(_RELAY_PURPOSE, relayed, RELAY_SECONDS)
    except tokens.InvalidToken:
        return None
    return answer if isinstance(answer, dict) else None


def _finish(response):
    """Every callback answer forgets the relayed cookie: it is used once."""
    if isinstance(response, tuple):
        response = current_app.make_response(response)
    response.delete_cookie(
        RELAY_COOKIE, path=url_for("accounts.oidc_callback", provider_name=request.view_args["provider_name"])
    )
    return response


def _flow_matches(flow, provider: oidc.Provider, state: str | None) -> bool:
    if not isinstance(flow, dict) or not isinstance(state, str) or not state:
        return False
    fresh = datetime.now(UTC).timestamp() - flow.get("at", 0) <= FLOW_SECONDS
    same_state = isinstance(flow.get("state"), str) and secrets.compare_digest(flow["state"], state)
    if flow.get("intent") == "link":
        same_person = current_user.is_authenticated and current_user.id == flow.get("uid")
    else:
        same_person = not current_user.is_authenticated
    return fresh and same_state and flow.get("provider") == provider.name and same_person


def _apple_name(user_json: str) -> str | None:
    """Apple sends the person's name once, beside the code, as JSON: {"name": {"firstName", "lastName"}}."""
    try:
        data = json.loads(user_json)
        parts = [data["name"].get("firstName"), data["name"].get("lastName")]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    name = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    return name[:120] or None


def _link(provider: oidc.Provider, identity: oidc.ProviderIdentity):
    user = current_user._get_current_object()
    on_refusal(lambda refusal: _finish(_profile_refused(refusal)))
    link = oidc_links.link_provider(user, identity)
    record_security_event("account.provider_linked", user_id=user.id, provider=provider.name, link_id=link.id)
    flash(_("%(provider_label)s is linked: you can now sign in with it.", provider_label=provider.label), "success")
    return redirect(url_for("accounts.profile"))


def _sign_in(provider: oidc.Provider, identity: oidc.ProviderIdentity, flow: dict):
    outcome = oidc_links.sign_in_with(identity)  # a refusal kept nothing of the attempt
    if isinstance(outcome.refusal, oidc_links.AccountSuspended):
        return _problem_of(outcome.refusal)
    if outcome.refusal is not None:  # answered, and the audit row kept with the answer
        record_security_event(
            "account.provider_sign_in_refused", user_id=None, provider=provider.name, email=identity.email
        )
        return _problem_of(outcome.refusal)
    user = outcome.user
    if outcome.how == "created":
        record_security_event("account.created_with_provider", user_id=user.id, provider=provider.name)
    if outcome.how in ("created", "linked"):
        record_security_event(
            "account.provider_linked", user_id=user.id, provider=provider.name, link_id=outcome.link.id, by="email"
        )
    news = {
        "created": f"Your account is ready: you sign in with {provider.label}. A password is optional (Profile).",
        "linked": f"{provider.label} is now linked to your account, which has the same verified email.",
    }.get(outcome.how)
    cart_token = session.get("cart_token")
    if user.has_two_factor and not two_factor.device_is_remembered(user, request.cookies.get(two_factor.DEVICE_COOKIE)):
        session.clear()
        start_two_factor(user, remember=False, next_url=flow.get("next"), cart_token=cart_token, provider=provider.name)
        response = redirect(url_for("accounts.two_factor_sign_in"))
    else:
        response = complete_sign_in(
            user, remember=False, cart_token=cart_token, next_url=flow.get("next"), provider=provider.name
        )
    if news:
        flash(news, "success")  # after the session was renewed, which forgets earlier messages
    return response


@bp.post("/oidc/links/<int:link_id>/remove")
@login_required
def oidc_unlink(link_id: int):
    check_confirm_form()
    user = current_user._get_current_object()
    on_refusal(_profile_refused)
    link = oidc_links.unlink_provider(user, link_id)
    record_security_event("account.provider_unlinked", user_id=user.id, provider=link.provider, link_id=link_id)
    flash(_("%(label)s can no longer sign in to your account.", label=oidc_links.label(link.provider)), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/password/remove")
@login_required
def remove_password():
    """Sign in only with Google or Apple from now on; other devices are signed out."""

    form = RemovePasswordForm(prefix="nopw")
    if not form.validate_on_submit():
        return render_profile(422, remove_password_form=form)
    user = current_user._get_current_object()
    on_refusal(lambda refusal: _password_kept(form, refusal))
    oidc_links.remove_password(user, current_password=form.current_password.data)
    record_security_event("account.password_removed", user_id=user.id)
    remember = session.get("remember", False)
    sessions.end_all_sessions(user, reason="password removed")
    _start_session(user, remember=remember)
    login_user(user, remember=remember)  # the new token and session
    flash(
        _("Your password is removed: you sign in with your linked accounts. Other devices were signed out."), "success"
    )
    return redirect(url_for("accounts.profile"))


def _password_kept(form: RemovePasswordForm, refusal: DomainError):
    if isinstance(refusal, ValidationFailed):  # the wrong password: under its field
        form.current_password.errors.append(refusal.message)
        return render_profile(http_status(refusal), remove_password_form=form)
    return _profile_refused(refusal)  # nothing to remove, or the last way in: the form isn't even shown


@bp.post("/password/set-link")
@login_required
def send_set_password_link():
    """An account made through Google or Apple sets its first password through an emailed link."""
    check_confirm_form()
    user = current_user._get_current_object()
    if user.has_password:
        flash(_("You already have a password; change it in the form below."), "info")
        return render_profile(409)
    service.request_password_reset(user.email)
    record_security_event("account.password_reset_requested", user_id=user.id, email=user.email)
    flash(_("We've emailed %(email)s a link to set your password.", email=user.email), "info")
    return redirect(url_for("accounts.profile"))


@bp.app_context_processor
def _provider_buttons() -> dict:
    """``sign_in_providers()`` in templates: the configured providers, for the sign-in and sign-up buttons."""
    return {"sign_in_providers": oidc.configured_providers}
