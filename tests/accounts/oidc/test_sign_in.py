"""Signing in and signing up with Google or Apple, end to end against local OpenID Connect providers.

Every refusal is checked for what it must not do: make an account, make a link, sign anyone in.
"""

from __future__ import annotations

import pyotp
import requests

from app.accounts.models import Role
from app.accounts.oidc_models import ProviderLink
from app.platform.extensions import db
from tests.accounts.conftest import text_of
from tests.accounts.oidc.conftest import (
    GOOGLE_PERSON,
    at_provider,
    back_at_app,
    count_links,
    edit_flow_state,
    links_of,
    live_sessions,
    sign_in_through,
    start,
)
from tests.factories import ADMIN_TOTP_SECRET


def is_signed_in(web) -> bool:
    return web.get("/account/profile").status_code == 200


def assert_nothing_happened(web, store, users_before: int, links_before: int) -> None:
    assert store.count_users() == users_before
    assert count_links() == links_before
    assert not is_signed_in(web)


# -- buttons --------------------------------------------------------------------------------


def test_no_buttons_when_no_provider_is_configured(web):
    for path in ("/account/sign-in", "/account/sign-up"):
        page = text_of(web.get(path))
        assert "with Google" not in page and "with Apple" not in page


def test_buttons_appear_for_configured_providers_only(web, providers, app, monkeypatch):
    assert "Sign in with Google" in text_of(web.get("/account/sign-in"))
    assert "Sign up with Apple" in text_of(web.get("/account/sign-up"))

    monkeypatch.setitem(app.config, "APPLE_PRIVATE_KEY", None)  # Apple's settings now incomplete
    page = text_of(web.get("/account/sign-in"))

    assert "Sign in with Google" in page and "with Apple" not in page
    assert web.get("/account/oidc/apple/start").status_code == 404


def test_unknown_provider_is_not_found(web, providers):
    assert web.get("/account/oidc/facebook/start").status_code == 404
    assert web.get("/account/oidc/facebook/callback").status_code == 404
    assert web.get("/account/oidc/" + "g" * 300 + "/start").status_code == 404


# -- new people, returning people, linking by email --------------------------------------------


def test_a_new_person_gets_a_customer_account_without_a_password(web, providers, store, mail):
    response = sign_in_through(web, "google")

    assert response.status_code == 302
    assert "Your account is ready: you sign in with Google." in text_of(web.get("/"))
    user = store.user(GOOGLE_PERSON["email"])
    assert user.role == Role.CUSTOMER and user.name == "Nova Person"
    assert not user.has_password and user.is_verified
    [link] = links_of(user.id)
    assert (link.provider, link.subject, link.email) == ("google", "g-1001", GOOGLE_PERSON["email"])
    assert link.last_used_at is not None
    assert is_signed_in(web)
    assert live_sessions(user.id) == 1  # the same server-side session as a password sign-in
    [signed_in] = store.audit_entries("account.signed_in")
    assert signed_in.data["provider"] == "google" and signed_in.actor_id == user.id
    assert store.audit_entries("account.created_with_provider")
    assert [m.subject for m in mail(user.email)] == ["Google sign-in was added"]


def test_the_flow_uses_pkce_state_and_nonce(web, providers):
    sign_in_through(web, "google")

    [authorize] = providers.google.authorize_requests
    assert authorize["code_challenge_method"] == "S256" and len(authorize["code_challenge"]) >= 43
    assert authorize["state"] and authorize["nonce"]
    [token_request] = providers.google.token_requests
    assert len(token_request["code_verifier"]) >= 43
    assert providers.google.token_refusals == []


def test_a_linked_person_signs_in_to_their_account_whatever_email_the_provider_now_has(web, providers, customer, store):
    db.session.add(ProviderLink(user_id=customer.id, provider="google", subject="g-1001", email=customer.email))
    db.session.flush()
    providers.google.identity["email"] = "renamed@example.com"

    response = sign_in_through(web, "google")

    assert response.status_code == 302
    assert is_signed_in(web)
    assert store.user("renamed@example.com") is None
    [link] = links_of(customer.id)
    assert link.last_used_at is not None


def test_an_existing_verified_account_is_linked_when_the_provider_verified_the_email(
    web, providers, customer, store, mail
):
    providers.google.identity["email"] = customer.email
    users_before = store.count_users()

    response = sign_in_through(web, "google")

    assert response.status_code == 302
    assert store.count_users() == users_before
    [link] = links_of(customer.id)
    assert link.subject == "g-1001"
    assert is_signed_in(web)
    assert store.reload(customer).has_password  # linking leaves the password alone
    assert [m.subject for m in mail(customer.email)] == ["Google sign-in was added"]
    [linked] = store.audit_entries("account.provider_linked")
    assert linked.data["by"] == "email"


def test_linking_is_refused_when_the_provider_has_not_verified_the_email(web, providers, customer, store):
    providers.google.identity.update(email=customer.email, email_verified=False)
    users_before, links_before = store.count_users(), count_links()

    response = sign_in_through(web, "google")

    assert response.status_code == 403
    page = text_of(response)
    assert "hasn't verified the email address" in page and "sign in with your password" in page
    assert_nothing_happened(web, store, users_before, links_before)
    assert store.audit_entries("account.provider_sign_in_refused")


def test_linking_is_refused_when_our_account_never_confirmed_its_email(web, providers, make_user, store):
    unconfirmed = make_user(email="nova.person@example.com", email_verified_at=None)
    users_before, links_before = store.count_users(), count_links()

    response = sign_in_through(web, "google")

    assert response.status_code == 403
    assert "Sign in with your password, then link Google from your account settings" in text_of(response)
    assert_nothing_happened(web, store, users_before, links_before)
    assert links_of(unconfirmed.id) == []


def test_no_account_is_made_from_an_unverified_email(web, providers, store):
    providers.google.identity["email_verified"] = False
    users_before, links_before = store.count_users(), count_links()

    response = sign_in_through(web, "google")

    assert response.status_code == 403
    assert_nothing_happened(web, store, users_before, links_before)


def test_a_suspended_account_cannot_sign_in_through_its_link(web, providers, customer, store):
    db.session.add(ProviderLink(user_id=customer.id, provider="google", subject="g-1001"))
    db.session.flush()
    store.update(customer, is_active_account=False)

    response = sign_in_through(web, "google")

    assert response.status_code == 403
    assert not is_signed_in(web)


# -- the protocol's checks ----------------------------------------------------------------------


def test_a_forged_state_is_refused_before_the_code_is_used(web, providers, store):
    users_before, links_before = store.count_users(), count_links()
    answer = at_provider(start(web, "google"))

    response = back_at_app(web, answer, change={"state": "forged-state-value"})

    assert response.status_code == 400
    assert "didn't start in this browser" in text_of(response)
    assert providers.google.token_requests == []
    assert_nothing_happened(web, store, users_before, links_before)


def test_a_callback_that_was_never_started_is_refused(web, providers, store):
    response = web.get("/account/oidc/google/callback?code=abc&state=xyz")

    assert response.status_code == 400
    assert providers.google.token_requests == []


def test_a_callback_works_once(web, providers, store, new_browser):
    answer = at_provider(start(web, "google"))
    location = answer.headers["Location"].replace("http://localhost", "")
    assert web.get(location).status_code == 302
    web.sign_out()

    replayed = web.get(location)

    assert replayed.status_code == 400
    assert not is_signed_in(web)


def test_an_id_token_with_another_nonce_is_refused(web, providers, store):
    providers.google.tamper["nonce"] = "not-the-nonce-we-sent"
    users_before, links_before = store.count_users(), count_links()

    response = sign_in_through(web, "google")

    assert response.status_code == 400
    assert "didn't confirm who you are" in text_of(response)
    assert_nothing_happened(web, store, users_before, links_before)


def test_an_id_token_replayed_from_an_earlier_sign_in_is_refused(web, providers, store, new_browser):
    earlier = new_browser()
    assert sign_in_through(earlier, "google").status_code == 302
    old_nonce = providers.google.authorize_requests[0]["nonce"]
    providers.google.tamper["nonce"] = old_nonce  # the earlier flow's token, presented to a new one
    users_before, links_before = store.count_users(), count_links()

    response = sign_in_through(web, "google")

    assert response.status_code == 400
    assert_nothing_happened(web, store, users_before, links_before)


def test_an_id_token_signed_with_another_key_is_refused(web, providers, store):
    providers.google.tamper["other_key"] = True
    users_before, links_before = store.count_users(), count_links()

    response = sign_in_through(web, "google")

    assert response.status_code == 400
    assert_nothing_happened(web, store, users_before, links_before)


def test_an_id_token_for_another_client_is_refused(web, providers, store):
    providers.google.tamper["aud"] = "someone-elses-client-id"
    users_before, links_before = store.count_users(), count_links()

    response = sign_in_through(web, "google")

    assert response.status_code == 400
    assert_nothing_happened(web, store, users_before, links_before)


def test_an_id_token_from_another_issuer_is_refused(web, providers, store):
    providers.google.tamper["iss"] = "https://accounts.evil.example"
    users_before, links_before = store.count_users(), count_links()

    assert sign_in_through(web, "google").status_code == 400
    assert_nothing_happened(web, store, users_before, links_before)


def test_an_expired_id_token_is_refused(web, providers, store):
    providers.google.tamper["expired_seconds_ago"] = 600  # well past Authlib's two minutes of leeway
    users_before, links_before = store.count_users(), count_links()

    response = sign_in_through(web, "google")

    assert response.status_code == 400
    assert_nothing_happened(web, store, users_before, links_before)


def test_a_token_response_without_an_id_token_is_refused(web, providers, store):
    providers.google.tamper["no_id_token"] = True
    users_before, links_before = store.count_users(), count_links()

    assert sign_in_through(web, "google").status_code == 400
    assert_nothing_happened(web, store, users_before, links_before)


def test_a_flow_without_its_pkce_verifier_is_refused(web, providers, store):
    answer = at_provider(start(web, "google"))
    edit_flow_state(web, lambda data: data.pop("code_verifier"))
    users_before, links_before = store.count_users(), count_links()

    response = back_at_app(web, answer)

    assert response.status_code == 400
    assert providers.google.token_requests == []  # refused before the code was sent anywhere
    assert_nothing_happened(web, store, users_before, links_before)


def test_the_provider_refuses_a_code_with_the_wrong_pkce_verifier(web, providers, store):
    answer = at_provider(start(web, "google"))
    edit_flow_state(web, lambda data: data.update(code_verifier="x" * 64))
    users_before, links_before = store.count_users(), count_links()

    response = back_at_app(web, answer)

    assert response.status_code == 400
    assert providers.google.token_refusals == ["code_verifier doesn't match"]
    assert_nothing_happened(web, store, users_before, links_before)


def test_cancelling_at_the_provider_changes_nothing(web, providers, store):
    providers.google.deny = True
    users_before, links_before = store.count_users(), count_links()

    response = sign_in_through(web, "google")

    assert response.status_code == 302 and response.headers["Location"].endswith("/account/sign-in")
    assert "sign-in was cancelled" in text_of(web.get("/account/sign-in"))
    assert_nothing_happened(web, store, users_before, links_before)


def test_the_provider_being_down_is_a_clear_error(web, providers, app, monkeypatch):
    monkeypatch.setitem(app.config, "GOOGLE_METADATA_URL", "http://127.0.0.1:9/.well-known/openid-configuration")

    response = web.get("/account/oidc/google/start")

    assert response.status_code == 502
    assert "couldn't reach Google" in text_of(response)


def test_starting_while_signed_in_needs_the_profile_pages_token(web, providers, customer):
    web.sign_in_as(customer)

    response = web.get("/account/oidc/google/start")

    assert response.status_code == 400
    assert providers.google.authorize_requests == []


def test_the_next_page_is_kept_only_when_it_is_on_this_site(web, providers):
    assert sign_in_through(web, "google", "?next=/account/devices").headers["Location"] == "/account/devices"
    web.sign_out()
    outside = sign_in_through(web, "google", "?next=https://evil.example/")
    assert "evil.example" not in outside.headers["Location"]


# -- Apple: the answer is POSTed ----------------------------------------------------------------


def test_apple_posts_its_answer_and_a_new_account_takes_the_name_it_sends(web, providers, store):
    providers.apple.apple_user_json = '{"name": {"firstName": "Ann", "lastName": "Appleby"}, "email": "x"}'

    response = sign_in_through(web, "apple")

    assert response.status_code == 302
    user = store.user("x7k2@privaterelay.appleid.com")
    assert user.name == "Ann Appleby" and user.is_verified  # Apple's "true" string counts as verified
    assert providers.apple.token_refusals == []  # our ES256 client secret was accepted
    [authorize] = providers.apple.authorize_requests
    assert authorize["response_mode"] == "form_post"
    assert is_signed_in(web)


def test_apple_answer_with_a_forged_state_is_refused(web, providers, store):
    users_before, links_before = store.count_users(), count_links()
    answer = at_provider(start(web, "apple"))

    response = back_at_app(web, answer, change={"state": "forged"})

    assert response.status_code == 400
    assert providers.apple.token_requests == []
    assert_nothing_happened(web, store, users_before, links_before)


def test_only_apples_callback_takes_a_post_without_a_csrf_token(web, providers):
    assert web.client.post("/account/oidc/google/callback", data={"code": "a", "state": "b"}).status_code == 405
    assert web.client.post("/account/oidc/apple/callback", data={"code": "a"}).status_code == 400
    # The relayed answer must be ours: a made-up cookie is refused.
    web.client.set_cookie("cozywish_oidc_relay", "made-up", path="/account/oidc/apple/callback")
    assert web.get("/account/oidc/apple/callback").status_code == 400


# -- two-factor ---------------------------------------------------------------------------------


def test_two_factor_is_still_asked_after_a_provider_vouches(web, providers, admin, store):
    providers.google.identity["email"] = admin.email

    response = sign_in_through(web, "google")

    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    assert not is_signed_in(web)
    assert live_sessions(admin.id) == 0
    code = web.post("/account/two-factor", {"code": pyotp.TOTP(ADMIN_TOTP_SECRET).now()})
    assert code.status_code == 302
    assert web.get("/admin/").status_code == 200
    [signed_in] = store.audit_entries("account.signed_in")
    assert signed_in.data["provider"] == "google" and signed_in.data["two_factor"] == "app"


def test_a_wrong_code_after_a_provider_sign_in_signs_nobody_in(web, providers, admin):
    providers.google.identity["email"] = admin.email
    sign_in_through(web, "google")

    response = web.post("/account/two-factor", {"code": "000000"})

    assert response.status_code == 401
    assert not is_signed_in(web)


def test_the_provider_server_is_real_http(providers):
    discovery = requests.get(providers.google.metadata_url, timeout=10).json()
    assert discovery["issuer"] == providers.google.issuer
    assert requests.get(discovery["jwks_uri"], timeout=10).json()["keys"][0]["kty"] == "RSA"


def test_starting_and_answering_are_rate_limited_per_address(web, providers, app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_IP_LIMIT", "2 per minute")

    statuses = [web.get("/account/oidc/google/start").status_code for _ in range(3)]

    assert statuses == [302, 302, 429]


def test_an_oversized_apple_answer_is_cut_to_fit_one_cookie(web, providers):
    posted = web.client.post(
        "/account/oidc/apple/callback", data={"code": "c" * 9000, "state": "s" * 9000, "user": "u" * 9000}
    )

    assert posted.status_code == 303
    cookie = posted.headers["Set-Cookie"]
    assert cookie.startswith("cozywish_oidc_relay=") and len(cookie) < 4096
    assert web.get(posted.headers["Location"]).status_code == 400  # and, not ours, it signs nobody in


HOSTILE = ["", "x" * 5000, "' OR 1=1 --", "<script>alert(1)</script>", "%ff", "../../etc/passwd", "\u202e\u0000"]


def test_odd_values_on_every_new_route_are_refused_without_a_500_and_change_nothing(web, providers, customer, store):
    users_before, links_before = store.count_users(), count_links()
    for value in HOSTILE:
        for provider in ("google", "apple"):
            started = web.get(f"/account/oidc/{provider}/start", query_string={"next": value})
            assert started.status_code in (302, 400)  # the input guard refuses overlong or unreadable values
            callback = f"/account/oidc/{provider}/callback"
            for query in ({"code": value, "state": value}, {"error": value, "state": value}, {"state": value}):
                assert web.get(callback, query_string=query).status_code < 500
            assert web.client.post(callback, data={"code": value, "state": value, "user": value}).status_code < 500
    web.sign_in_as(customer)
    for value in HOSTILE:
        assert web.get("/account/oidc/google/start", query_string={"csrf_token": value}).status_code == 400
        assert web.post("/account/password/remove", {"nopw-current_password": value}).status_code in (400, 409, 422)
    assert web.post("/account/oidc/links/0/remove").status_code == 404
    assert web.post("/account/oidc/links/-1/remove").status_code == 404
    assert web.post("/account/oidc/links/abc/remove").status_code == 404
    assert store.count_users() == users_before and count_links() == links_before
    assert store.reload(customer).has_password
