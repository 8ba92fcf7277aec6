"""Passkeys: adding and removing them, signing in with one alone, using one as the second step,
and every way a bent answer is refused. A software authenticator (webauthn_authenticator.py)
makes real keys and signatures; the real `webauthn` library checks them."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import Role, UserSession
from app.accounts.passkey_models import Passkey, PasskeyChallenge
from app.platform.extensions import db
from tests.accounts.conftest import text_of
from tests.accounts.webauthn_authenticator import SoftwareAuthenticator, b64url
from tests.conftest import csrf_token
from tests.factories import PASSWORD

REGISTER_OPTIONS = "/account/passkeys/options"
REGISTER = "/account/passkeys"
SIGN_IN_OPTIONS = "/account/passkeys/sign-in/options"
SIGN_IN = "/account/passkeys/sign-in"
SECOND_OPTIONS = "/account/two-factor/passkey/options"
SECOND = "/account/two-factor/passkey"
CODE_STEP = "/account/two-factor"


def post_json(browser, path: str, body: dict | None = None, *, csrf: bool = True):
    headers = {"X-CSRFToken": csrf_token(browser.client)} if csrf else {}
    return browser.client.post(path, json=body or {}, headers=headers)


def add_passkey(browser, authenticator: SoftwareAuthenticator, name: str = "Work laptop", **bend):
    options = post_json(browser, REGISTER_OPTIONS).get_json()
    return post_json(browser, REGISTER, {"name": name, "credential": authenticator.create(options, **bend)})


def passkey_sign_in(browser, authenticator: SoftwareAuthenticator, **bend):
    options = post_json(browser, SIGN_IN_OPTIONS).get_json()
    return post_json(browser, SIGN_IN, {"credential": authenticator.get(options, **bend)})


def is_signed_in(browser) -> bool:
    return browser.get("/account/profile").status_code == 200


def passkeys_of(app, user) -> list[Passkey]:
    with app.app_context():
        return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user.id)))


def count_live_sessions(app, user) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        )


@pytest.fixture
def authenticator() -> SoftwareAuthenticator:
    return SoftwareAuthenticator(origin="http://localhost")


@pytest.fixture
def with_passkey(web, customer, authenticator, new_browser):
    """The customer added a passkey in one browser; returns a fresh, signed-out browser."""
    web.sign_in_as(customer)
    assert add_passkey(web, authenticator).status_code == 200
    return new_browser()


# -- adding ---------------------------------------------------------------------------------


def test_registration_options_come_from_base_url_and_a_random_user_handle(web, customer, store):
    web.sign_in_as(customer)

    options = post_json(web, REGISTER_OPTIONS, {}).get_json()

    handle = store.reload(customer).webauthn_user_handle
    assert options["rp"] == {"id": "localhost", "name": "CozyWish"}
    assert options["user"]["id"] == b64url(handle) and len(handle) == 32
    assert options["user"]["id"] != b64url(str(customer.id).encode())
    assert options["user"]["name"] == customer.email
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["excludeCredentials"] == []


def test_adding_a_passkey_stores_it_emails_and_audits(app, web, customer, authenticator, store, mail):
    web.sign_in_as(customer)

    response = add_passkey(web, authenticator, name="  Work   laptop ")

    assert response.status_code == 200
    assert response.get_json()["redirect"].startswith("/account/profile")
    [passkey] = passkeys_of(app, customer)
    stored = authenticator.credentials[0]
    assert passkey.name == "Work laptop"
    assert passkey.credential_id == stored.credential_id
    assert passkey.public_key == stored.cose_public_key()
    assert passkey.sign_count == 0 and passkey.transports == ["internal"]
    assert passkey.user_handle == store.reload(customer).webauthn_user_handle == stored.user_handle
    assert [m.subject for m in mail(customer.email)] == ["A passkey was added to your account"]
    [entry] = store.audit_entries("account.passkey_added")
    assert entry.subject_id == customer.id and entry.data["name"] == "Work laptop"
    page = text_of(web.get("/account/profile"))
    assert "Work laptop" in page and "not used yet" in page


def test_a_second_passkey_keeps_the_user_handle_and_excludes_the_first(app, web, customer, authenticator):
    web.sign_in_as(customer)
    add_passkey(web, authenticator, name="Laptop")

    options = post_json(web, REGISTER_OPTIONS).get_json()
    phone = SoftwareAuthenticator()
    post_json(web, REGISTER, {"name": "Phone", "credential": phone.create(options)})

    assert [item["id"] for item in options["excludeCredentials"]] == [
        b64url(authenticator.credentials[0].credential_id)
    ]
    first, second = sorted(passkeys_of(app, customer), key=lambda p: p.id)
    assert (first.name, second.name) == ("Laptop", "Phone")
    assert first.user_handle == second.user_handle


@pytest.mark.parametrize(
    ("bend", "expected"),
    [
        ({"origin": "http://evil.example"}, 400),
        ({"challenge": b64url(b"a challenge the server never gave out")}, 400),
        ({"rp_id": "evil.example"}, 400),
    ],
    ids=["wrong-origin", "wrong-challenge", "wrong-rp-id"],
)
def test_a_bent_registration_adds_nothing(app, web, customer, authenticator, store, bend, expected):
    web.sign_in_as(customer)

    response = add_passkey(web, authenticator, **bend)

    assert response.status_code == expected
    assert "wasn't added" in response.get_json()["error"]
    assert passkeys_of(app, customer) == []
    assert len(store.audit_entries("account.passkey_refused")) == 1
    assert store.audit_entries("account.passkey_added") == []


def test_a_registration_without_user_verification_is_refused(app, web, customer):
    web.sign_in_as(customer)

    response = add_passkey(web, SoftwareAuthenticator(user_verified=False))

    assert response.status_code == 400
    assert passkeys_of(app, customer) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give the passkey a name"), ("x" * 61, "60 characters or fewer")],
    ids=["empty", "too-long"],
)
def test_a_passkey_needs_a_sensible_name(app, web, customer, authenticator, name, message):
    web.sign_in_as(customer)

    response = add_passkey(web, authenticator, name=name)

    assert response.status_code == 422
    assert message in response.get_json()["error"]
    assert passkeys_of(app, customer) == []


def test_a_registration_answer_counts_once(app, web, customer, authenticator):
    web.sign_in_as(customer)
    options = post_json(web, REGISTER_OPTIONS).get_json()
    answer = authenticator.create(options)
    assert post_json(web, REGISTER, {"name": "Laptop", "credential": answer}).status_code == 200

    again = post_json(web, REGISTER, {"name": "Laptop again", "credential": answer})

    assert again.status_code == 400
    assert "Start again" in again.get_json()["error"]  # the session's challenge is gone
    assert len(passkeys_of(app, customer)) == 1


def test_adding_needs_csrf_and_a_json_answer(app, web, customer, authenticator):
    web.sign_in_as(customer)
    options = post_json(web, REGISTER_OPTIONS).get_json()
    answer = authenticator.create(options)

    assert post_json(web, REGISTER, {"name": "Laptop", "credential": answer}, csrf=False).status_code == 400
    assert post_json(web, REGISTER_OPTIONS, csrf=False).status_code == 400
    not_json = web.client.post(REGISTER, data="nonsense", headers={"X-CSRFToken": csrf_token(web.client)})
    assert not_json.status_code == 400
    assert passkeys_of(app, customer) == []


def test_adding_needs_a_signed_in_user(web):
    response = post_json(web, REGISTER_OPTIONS)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in")


# -- signing in without a password ----------------------------------------------------------


def test_sign_in_with_a_passkey_alone_starts_a_real_session(app, customer, authenticator, with_passkey, store):
    browser = with_passkey
    before = count_live_sessions(app, customer)
    options = post_json(browser, SIGN_IN_OPTIONS).get_json()
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    assert options["rpId"] == "localhost"

    response = post_json(browser, SIGN_IN, {"credential": authenticator.get(options)})

    assert response.status_code == 200 and response.get_json()["redirect"] == "/"
    assert is_signed_in(browser)
    assert count_live_sessions(app, customer) == before + 1
    [passkey] = passkeys_of(app, customer)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    [entry] = [e for e in store.audit_entries("account.signed_in") if e.data.get("method") == "passkey"]
    assert entry.subject_id == customer.id and entry.data["two_factor"] == "passkey"
    assert "last used" in text_of(browser.get("/account/profile"))


def test_a_passkey_sign_in_goes_to_a_safe_next_page_only(customer, authenticator, with_passkey):
    options = post_json(with_passkey, SIGN_IN_OPTIONS).get_json()
    answer = authenticator.get(options)

    response = post_json(with_passkey, SIGN_IN, {"credential": answer, "next": "//evil.example/"})

    assert response.get_json()["redirect"] == "/"


def test_the_sign_in_page_offers_a_passkey(web):
    page = text_of(web.get("/account/sign-in"))

    assert "Sign in with a passkey" in page
    assert "js/passkeys.js" in page


def test_a_passkey_sign_in_without_user_verification_is_refused(app, customer, authenticator, with_passkey):
    authenticator.user_verified = False

    response = passkey_sign_in(with_passkey, authenticator)

    assert response.status_code == 400
    assert not is_signed_in(with_passkey)
    assert passkeys_of(app, customer)[0].sign_count == 0


@pytest.mark.parametrize(
    "bend",
    [
        {"origin": "http://evil.example"},
        {"origin": "http://localhost:5000"},
        {"challenge": b64url(secrets.token_bytes(32))},
        {"rp_id": "evil.example"},
        {"user_handle": secrets.token_bytes(32)},
    ],
    ids=["wrong-origin", "wrong-port", "wrong-challenge", "wrong-rp-id", "wrong-user-handle"],
)
def test_a_bent_sign_in_is_refused_and_changes_nothing(app, customer, authenticator, with_passkey, store, bend):
    before = count_live_sessions(app, customer)

    response = passkey_sign_in(with_passkey, authenticator, **bend)

    assert response.status_code == 400
    assert not is_signed_in(with_passkey)
    assert count_live_sessions(app, customer) == before
    [passkey] = passkeys_of(app, customer)
    assert passkey.sign_count == 0 and passkey.last_used_at is None
    assert len(store.audit_entries("account.passkey_refused")) == 1


def test_an_unknown_passkey_is_refused(app, authenticator, with_passkey):
    stranger = SoftwareAuthenticator()
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": b64url(b"x" * 32)}, "challenge": b64url(b"c" * 32)})

    response = passkey_sign_in(with_passkey, stranger)

    assert response.status_code == 400
    assert "isn't registered" in response.get_json()["error"]
    assert not is_signed_in(with_passkey)


def test_a_replayed_sign_in_challenge_is_refused(app, customer, authenticator, with_passkey, new_browser):
    """An answer counts once, even from a copy of the session cookie taken before it was used."""
    options = post_json(with_passkey, SIGN_IN_OPTIONS).get_json()
    copied = with_passkey.client.get_cookie("cozywish_session", domain="localhost").value
    first = authenticator.get(options)
    second = authenticator.get(options)  # the same challenge, a higher counter
    assert post_json(with_passkey, SIGN_IN, {"credential": first}).status_code == 200

    thief = new_browser()
    thief.client.set_cookie("cozywish_session", copied, domain="localhost")
    response = post_json(thief, SIGN_IN, {"credential": second})

    assert response.status_code == 400
    assert "expired or was already used" in response.get_json()["error"]
    assert not is_signed_in(thief)
    assert passkeys_of(app, customer)[0].sign_count == 1


def test_a_challenge_from_another_browser_is_refused(authenticator, with_passkey, new_browser):
    options = post_json(with_passkey, SIGN_IN_OPTIONS).get_json()
    other = new_browser()
    post_json(other, SIGN_IN_OPTIONS)  # the other browser has a challenge of its own

    response = post_json(other, SIGN_IN, {"credential": authenticator.get(options)})

    assert response.status_code == 400
    assert not is_signed_in(other)


def test_an_expired_challenge_is_refused(app, authenticator, with_passkey):
    options = post_json(with_passkey, SIGN_IN_OPTIONS).get_json()
    with app.app_context():
        db.session.execute(update(PasskeyChallenge).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        db.session.commit()

    response = post_json(with_passkey, SIGN_IN, {"credential": authenticator.get(options)})

    assert response.status_code == 400
    assert "expired" in response.get_json()["error"]
    assert not is_signed_in(with_passkey)


def test_a_sign_count_that_goes_back_is_refused_and_audited(
    app, customer, authenticator, with_passkey, store, new_browser
):
    assert passkey_sign_in(with_passkey, authenticator, sign_count=10).status_code == 200
    clone = new_browser()

    response = passkey_sign_in(clone, authenticator, sign_count=7)

    assert response.status_code == 400
    assert "counter went backwards" in response.get_json()["error"]
    assert not is_signed_in(clone)
    assert passkeys_of(app, customer)[0].sign_count == 10
    [entry] = store.audit_entries("account.passkey_cloned")
    assert entry.subject_id == customer.id and entry.data["step"] == "sign_in"


def test_a_repeated_sign_count_is_refused(app, customer, authenticator, with_passkey, new_browser):
    assert passkey_sign_in(with_passkey, authenticator, sign_count=3).status_code == 200

    response = passkey_sign_in(new_browser(), authenticator, sign_count=3)

    assert response.status_code == 400
    assert passkeys_of(app, customer)[0].sign_count == 3


def test_a_passkey_of_a_suspended_account_signs_nobody_in(app, customer, authenticator, with_passkey, store):
    store.update(customer, is_active_account=False)

    response = passkey_sign_in(with_passkey, authenticator)

    assert response.status_code == 400
    assert not is_signed_in(with_passkey)


def test_passkey_sign_in_needs_csrf(authenticator, with_passkey):
    options = post_json(with_passkey, SIGN_IN_OPTIONS).get_json()

    response = post_json(with_passkey, SIGN_IN, {"credential": authenticator.get(options)}, csrf=False)

    assert response.status_code == 400
    assert not is_signed_in(with_passkey)


# -- a passkey as the second step after the password ----------------------------------------


def test_a_passkey_user_is_asked_for_it_after_the_password(app, customer, authenticator, with_passkey, sign_in, store):
    response = sign_in(customer.email, browser=with_passkey)
    assert response.headers["Location"] == CODE_STEP
    assert not is_signed_in(with_passkey)
    page = text_of(with_passkey.get(CODE_STEP))
    assert "Use a passkey" in page and "js/passkeys.js" in page

    options = post_json(with_passkey, SECOND_OPTIONS).get_json()
    assert [item["id"] for item in options["allowCredentials"]] == [b64url(authenticator.credentials[0].credential_id)]
    answer = post_json(with_passkey, SECOND, {"credential": authenticator.get(options)})

    assert answer.status_code == 200 and answer.get_json()["redirect"] == "/"
    assert is_signed_in(with_passkey)
    assert any(
        e.data.get("two_factor") == "passkey" and e.data.get("method") == "password"
        for e in store.audit_entries("account.signed_in")
    )


def test_a_totp_user_may_use_a_passkey_instead_of_the_code(app, web, customer, authenticator, sign_in, new_browser):
    from tests.accounts.test_two_factor import set_up

    web.sign_in_as(customer)
    set_up(web)
    add_passkey(web, authenticator)
    browser = new_browser()
    sign_in(customer.email, browser=browser)
    page = text_of(browser.get(CODE_STEP))
    assert "Use a passkey" in page and "authenticator app" in page

    options = post_json(browser, SECOND_OPTIONS).get_json()
    response = post_json(browser, SECOND, {"credential": authenticator.get(options), "remember_device": True})

    assert response.status_code == 200 and is_signed_in(browser)
    assert browser.client.get_cookie("cozywish_2fa_device", domain="localhost") is not None


def test_the_second_step_refuses_another_users_passkey(app, customer, make_user, authenticator, sign_in, new_browser):
    other = make_user(name="Olga Other")
    theirs = new_browser()
    theirs.sign_in_as(other)
    add_passkey(theirs, authenticator, name="Olga's key")  # this authenticator now holds both
    mine = SoftwareAuthenticator()
    me = new_browser()
    me.sign_in_as(customer)
    add_passkey(me, mine)
    browser = new_browser()
    sign_in(customer.email, browser=browser)

    options = post_json(browser, SECOND_OPTIONS).get_json()
    olgas = authenticator.credentials[0]
    response = post_json(browser, SECOND, {"credential": authenticator.get(options, credential=olgas)})

    assert response.status_code == 400
    assert not is_signed_in(browser)
    assert [p.sign_count for p in passkeys_of(app, other)] == [0]


def test_the_second_step_needs_a_right_password_first(authenticator, with_passkey):
    response = post_json(with_passkey, SECOND_OPTIONS)

    assert response.status_code == 409
    assert "Sign in again" in response.get_json()["error"]


def test_wrong_passkey_answers_are_throttled_like_codes(app, customer, authenticator, with_passkey, sign_in, store):
    sign_in(customer.email, browser=with_passkey)
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        options = post_json(with_passkey, SECOND_OPTIONS).get_json()
        bent = authenticator.get(options, origin="http://evil.example")
        assert post_json(with_passkey, SECOND, {"credential": bent}).status_code == 400

    options = post_json(with_passkey, SECOND_OPTIONS).get_json()
    response = post_json(with_passkey, SECOND, {"credential": authenticator.get(options)})

    assert response.status_code == 429
    assert "paused" in response.get_json()["error"]
    assert not is_signed_in(with_passkey)
    assert len(store.audit_entries("account.two_factor_refused")) == 1


def test_the_second_step_with_a_passkey_needs_csrf(customer, authenticator, with_passkey, sign_in):
    sign_in(customer.email, browser=with_passkey)
    options = post_json(with_passkey, SECOND_OPTIONS).get_json()

    response = post_json(with_passkey, SECOND, {"credential": authenticator.get(options)}, csrf=False)

    assert response.status_code == 400
    assert not is_signed_in(with_passkey)


def test_an_administrator_with_a_passkey_has_two_factor(app, web, make_user, authenticator, store):
    newcomer = make_user(role=Role.ADMIN, totp_secret=None, totp_enabled_at=None)
    web.sign_in_as(newcomer)
    assert web.get("/admin/").headers["Location"] == "/account/two-factor/setup"

    add_passkey(web, authenticator)

    assert store.reload(newcomer).has_two_factor
    assert web.get("/admin/").status_code == 200
    [passkey] = passkeys_of(app, newcomer)
    refused = web.post(f"/account/passkeys/{passkey.id}/remove")
    assert refused.status_code == 403
    assert "Administrators must keep two-factor sign-in on" in text_of(refused)
    assert len(passkeys_of(app, newcomer)) == 1


# -- removing -------------------------------------------------------------------------------


def test_removing_a_passkey_stops_it_signing_in(app, web, customer, authenticator, store, mail, new_browser):
    web.sign_in_as(customer)
    add_passkey(web, authenticator, name="Old phone")
    [passkey] = passkeys_of(app, customer)

    response = web.post(f"/account/passkeys/{passkey.id}/remove")

    assert response.status_code == 302
    assert passkeys_of(app, customer) == []
    assert "A passkey was removed from your account" in [m.subject for m in mail(customer.email)]
    [entry] = store.audit_entries("account.passkey_removed")
    assert entry.data["name"] == "Old phone"
    assert "No passkeys yet" in text_of(web.get("/account/profile"))
    assert passkey_sign_in(new_browser(), authenticator).status_code == 400
    assert not store.reload(customer).has_two_factor


def test_nobody_removes_another_users_passkey(app, customer, make_user, authenticator, with_passkey, store):
    [passkey] = passkeys_of(app, customer)
    intruder = make_user(name="Ivan Intruder")
    with_passkey.sign_in_as(intruder)

    response = with_passkey.post(f"/account/passkeys/{passkey.id}/remove")

    assert response.status_code == 404
    assert len(passkeys_of(app, customer)) == 1
    assert store.audit_entries("account.passkey_removed") == []


def test_removing_needs_csrf(app, web, customer, authenticator):
    web.sign_in_as(customer)
    add_passkey(web, authenticator)
    [passkey] = passkeys_of(app, customer)

    response = web.post(f"/account/passkeys/{passkey.id}/remove", csrf=False)

    assert response.status_code == 400
    assert len(passkeys_of(app, customer)) == 1


def test_a_passkey_only_user_can_make_recovery_codes_and_use_one(
    app, web, customer, authenticator, sign_in, new_browser
):
    web.sign_in_as(customer)
    add_passkey(web, authenticator)
    response = web.post("/account/two-factor/recovery-codes", {"codes-current_password": PASSWORD})
    assert response.status_code == 200
    from tests.accounts.test_two_factor import CODE_RE

    codes = CODE_RE.findall(response.get_data(as_text=True))
    browser = new_browser()
    sign_in(customer.email, browser=browser)
    assert "recovery codes" in text_of(browser.get(CODE_STEP))

    assert browser.post(CODE_STEP, {"code": codes[0]}).status_code == 302
    assert is_signed_in(browser)
