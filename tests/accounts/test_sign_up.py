"""Sign-up, the verification email and its link."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.accounts.models import Role
from tests.accounts.conftest import link_in, text_of, without_signed_tokens
from tests.factories import PASSWORD

SIGN_UP = "/account/sign-up"
STRONG = "copper-meadow-lantern-77"


def sign_up_form(**overrides) -> dict:
    data = {"role": "customer", "name": "Nora Newcomer", "email": "nora@example.com", "password": STRONG}
    data.update(overrides)
    return data


def verification_link(mail, email: str) -> str:
    (message,) = mail(email)
    assert message.subject == "Confirm your email address"
    return link_in(message, "/account/verify/")


def test_sign_up_page_offers_both_account_types(web):
    response = web.get(SIGN_UP)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'value="customer"' in body
    assert 'value="provider"' in body


def checked_role(body: str) -> list[str]:
    radios = re.findall(r"<input[^>]*type=\"radio\"[^>]*>", body)
    return [re.search(r'value="([^"]+)"', radio).group(1) for radio in radios if "checked" in radio]


def test_sign_up_page_preselects_customer(web):
    assert checked_role(web.get(SIGN_UP).get_data(as_text=True)) == ["customer"]


def test_sign_up_page_for_venue_owners_preselects_provider(web):
    assert checked_role(web.get(f"{SIGN_UP}?as=provider").get_data(as_text=True)) == ["provider"]


def test_customer_sign_up_creates_an_unverified_customer(web, store):
    response = web.post(SIGN_UP, sign_up_form())

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/check-email"
    user = store.user("nora@example.com")
    assert user is not None
    assert user.role == Role.CUSTOMER
    assert user.name == "Nora Newcomer"
    assert not user.is_verified
    assert user.check_password(STRONG)
    assert user.password_hash != STRONG


def test_provider_sign_up_creates_a_provider(web, store):
    response = web.post(SIGN_UP, sign_up_form(role="provider", email="vera@example.com"))

    assert response.status_code == 302
    assert store.user("vera@example.com").role == Role.PROVIDER


def test_sign_up_stores_the_email_lowercased(web, store):
    web.post(SIGN_UP, sign_up_form(email="Nora.Mixed@Example.COM"))

    assert store.user("nora.mixed@example.com") is not None


def test_check_email_page_names_the_address(web):
    response = web.post(SIGN_UP, sign_up_form(), follow_redirects=True)

    assert response.status_code == 200
    assert "nora@example.com" in response.get_data(as_text=True)


def test_verification_email_is_sent_after_the_job_runs(web, outbox, mail):
    web.post(SIGN_UP, sign_up_form())
    assert outbox == []  # delivery is a job, not part of the request

    link = verification_link(mail, "nora@example.com")

    assert link.startswith("/account/verify/")


def test_following_the_verification_link_verifies_the_email(web, mail, store):
    web.post(SIGN_UP, sign_up_form())
    link = verification_link(mail, "nora@example.com")

    response = web.get(link)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in?email=nora")
    assert store.user("nora@example.com").is_verified
    assert "Your email is confirmed" in text_of(web.get(response.headers["Location"]))


def test_verification_link_can_be_opened_twice_without_harm(web, mail, store):
    web.post(SIGN_UP, sign_up_form())
    link = verification_link(mail, "nora@example.com")
    web.get(link)
    first = store.user("nora@example.com").email_verified_at

    assert web.get(link).status_code == 302
    assert store.user("nora@example.com").email_verified_at == first


def test_signed_in_user_following_their_link_goes_home(web, mail, store):
    web.post(SIGN_UP, sign_up_form(role="provider"))
    link = verification_link(mail, "nora@example.com")
    web.sign_in_as(store.user("nora@example.com"))

    response = web.get(link)

    assert response.status_code == 302
    assert response.headers["Location"] == "/provider"


def _token_signed_hours_ago(app, purpose: str, payload: dict, hours: int) -> str:
    class SignerInThePast(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - hours * 3600

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=f"cozywish.{purpose}", signer=SignerInThePast)
    return serializer.dumps(payload)


def test_expired_verification_link_is_refused(app, web, make_user, store):
    user = make_user(email="late@example.com", email_verified_at=None)
    token = _token_signed_hours_ago(app, "verify-email", {"uid": user.id, "email": user.email}, hours=49)

    response = web.get(f"/account/verify/{token}")

    assert response.status_code == 400
    assert "This link has expired" in text_of(response)
    assert not store.reload(user).is_verified


def test_verification_link_older_than_the_configured_age_is_refused(app, web, mail, store, monkeypatch):
    web.post(SIGN_UP, sign_up_form())
    link = verification_link(mail, "nora@example.com")
    monkeypatch.setitem(app.config, "EMAIL_TOKEN_MAX_AGE", timedelta(seconds=-1))

    response = web.get(link)

    assert response.status_code == 400
    assert not store.user("nora@example.com").is_verified


def test_recent_crafted_token_with_the_right_key_works(app, web, make_user, store):
    # The control for the expiry test above: the same crafting, a timestamp inside the window.
    user = make_user(email="soon@example.com", email_verified_at=None)
    token = _token_signed_hours_ago(app, "verify-email", {"uid": user.id, "email": user.email}, hours=47)

    assert web.get(f"/account/verify/{token}").status_code == 302
    assert store.reload(user).is_verified


def test_tampered_verification_link_is_refused(web, mail, store):
    web.post(SIGN_UP, sign_up_form())
    link = verification_link(mail, "nora@example.com")
    middle = len(link) - 10
    tampered = link[:middle] + ("A" if link[middle] != "A" else "B") + link[middle + 1 :]

    response = web.get(tampered)

    assert response.status_code == 400
    assert "not valid" in text_of(response)
    assert not store.user("nora@example.com").is_verified


def test_token_for_another_purpose_does_not_verify(app, web, make_user, store):
    user = make_user(email="other@example.com", email_verified_at=None)
    with app.app_context():
        from app.accounts import tokens

        token = tokens.make_token(tokens.CHANGE_EMAIL, {"uid": user.id, "email": user.email})

    assert web.get(f"/account/verify/{token}").status_code == 400
    assert not store.reload(user).is_verified


def test_verification_link_for_an_old_address_is_refused(web, mail, store):
    web.post(SIGN_UP, sign_up_form())
    link = verification_link(mail, "nora@example.com")
    store.update(store.user("nora@example.com"), email="nora.new@example.com")

    assert web.get(link).status_code == 400
    assert not store.user("nora.new@example.com").is_verified


def test_sign_up_with_a_taken_email_looks_the_same_and_emails_the_owner(web, customer, store, mail):
    users_before = store.count_users()
    fresh = web.post(SIGN_UP, sign_up_form(email="fresh@example.com"))
    fresh_page = web.get(fresh.headers["Location"]).get_data(as_text=True)

    taken = web.post(SIGN_UP, sign_up_form(email=customer.email.upper(), name="Impostor"))
    taken_page = web.get(taken.headers["Location"]).get_data(as_text=True)

    assert (taken.status_code, taken.headers["Location"]) == (fresh.status_code, fresh.headers["Location"])
    assert without_signed_tokens(taken_page.replace(customer.email, "fresh@example.com")) == without_signed_tokens(
        fresh_page
    )
    assert "TOKEN" in without_signed_tokens(fresh_page)
    assert store.count_users() == users_before + 1  # only the fresh one
    owner = store.reload(customer)
    assert owner.name == "Chloe Customer"
    assert owner.check_password(PASSWORD)
    (notice,) = mail(customer.email)
    assert notice.subject == "Someone tried to sign up with your email"
    assert link_in(notice, "/account/forgot-password")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-pw-1", "Use at least 12 characters."),
        ("someone.long@example.com", "Don't use your email address as your password."),
        ("password1234", "commonly used passwords"),
        ("qwertyuiop123", "commonly used passwords"),
        ("aaaaaaaaaaaaaaaa", "Use more than one or two different characters."),
    ],
)
def test_weak_password_is_refused(web, store, password, message):
    users_before = store.count_users()

    response = web.post(SIGN_UP, sign_up_form(email="someone.long@example.com", password=password))

    assert response.status_code == 422
    assert message in text_of(response)
    assert store.count_users() == users_before
    assert store.user("someone.long@example.com") is None


def test_password_equal_to_the_name_is_refused(web, store):
    response = web.post(SIGN_UP, sign_up_form(name="Bartholomew Quince", password="bartholomewquince"))

    assert response.status_code == 422
    assert "Don't use your name as your password." in text_of(response)
    assert store.user("nora@example.com") is None


def test_weak_password_for_a_taken_email_is_refused_the_same_way(web, customer, mail):
    response = web.post(SIGN_UP, sign_up_form(email=customer.email, password="password1234"))

    assert response.status_code == 422
    assert mail(customer.email) == []


def test_sign_up_without_csrf_token_is_refused(web, store):
    users_before = store.count_users()

    response = web.post(SIGN_UP, sign_up_form(), csrf=False)

    assert response.status_code == 400
    assert store.count_users() == users_before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("email", "", "Enter your email address."),
        ("name", "", "Enter your name."),
        ("name", "   ", "Enter your name."),
        ("name", "N" * 121, "Use at most 120 characters."),
        ("password", "", "Choose a password."),
        ("role", "admin", "Not a valid choice"),
        ("role", "wizard", "Not a valid choice"),
    ],
)
def test_bad_sign_up_input_is_refused(web, store, field, value, message):
    users_before = store.count_users()

    response = web.post(SIGN_UP, sign_up_form(**{field: value}))

    assert response.status_code == 422
    assert message in text_of(response)
    assert store.count_users() == users_before


def test_name_of_exactly_120_characters_is_accepted(web, store):
    response = web.post(SIGN_UP, sign_up_form(name="N" * 120))

    assert response.status_code == 302
    assert store.user("nora@example.com").name == "N" * 120


def test_script_in_the_name_is_rendered_as_text(web, store, mail):
    script = "<script>alert(1)</script>"

    refused = web.post(SIGN_UP, sign_up_form(name=script, password="short"))
    assert refused.status_code == 422
    assert script not in refused.get_data(as_text=True)
    assert "&lt;script&gt;" in refused.get_data(as_text=True)

    web.post(SIGN_UP, sign_up_form(name=script))
    user = store.user("nora@example.com")
    assert user.name == script
    (message,) = mail("nora@example.com")
    html_body = message.alternatives[0][0]
    assert script not in html_body
    assert "&lt;script&gt;" in html_body

    web.sign_in_as(user)
    profile = web.get("/account/profile").get_data(as_text=True)
    assert script not in profile
    assert "&lt;script&gt;" in profile


def test_signed_in_user_visiting_sign_up_goes_home(web, provider):
    web.sign_in_as(provider)

    response = web.get(SIGN_UP)

    assert response.status_code == 302
    assert response.headers["Location"] == "/provider"


def test_resending_verification_emails_an_unverified_user_only(web, make_user, customer, mail):
    pending = make_user(email="pending@example.com", email_verified_at=None)

    for email in (pending.email, customer.email, "nobody@example.com"):
        response = web.post("/account/verify/resend", {"email": email})
        assert response.status_code == 302

    assert len(mail(pending.email)) == 1
    assert mail(customer.email) == []
    assert mail("nobody@example.com") == []


def test_per_ip_limit_on_sign_up_answers_429(app, web, store, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_IP_LIMIT", "2 per minute")
    for n in range(2):
        assert web.post(SIGN_UP, sign_up_form(email=f"n{n}@example.com")).status_code == 302
    users_before = store.count_users()

    response = web.post(SIGN_UP, sign_up_form(email="third@example.com"))

    assert response.status_code == 429
    assert store.count_users() == users_before
