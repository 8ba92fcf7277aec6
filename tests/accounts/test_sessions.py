"""Server-side sessions: signing out ends every copy of the cookies; the devices page ends any session."""

from __future__ import annotations

import pytest

from app.accounts.models import UserSession
from app.accounts.sessions import describe_browser
from app.platform.extensions import db
from tests.factories import PASSWORD

SESSION = "cozywish_session"
REMEMBER = "cozywish_remember"
NEW_PASSWORD = "saffron-glacier-kettle-58"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def cookies_of(browser) -> dict[str, str]:
    return {
        name: cookie.value
        for name in (SESSION, REMEMBER)
        if (cookie := browser.client.get_cookie(name, domain="localhost")) is not None
    }


def replay(new_browser, cookies: dict[str, str]):
    """A stranger's browser carrying copies of someone's cookies."""
    thief = new_browser()
    for name, value in cookies.items():
        thief.client.set_cookie(name, value, domain="localhost")
    return thief


def is_signed_in(browser) -> bool:
    return browser.get("/account/profile").status_code == 200


def test_copied_session_cookie_dies_at_sign_out(web, customer, sign_in, new_browser):
    sign_in(customer.email)
    copied = cookies_of(web)
    assert is_signed_in(replay(new_browser, copied))

    web.post("/account/sign-out")

    assert not is_signed_in(replay(new_browser, copied))


def test_copied_remember_cookie_dies_at_sign_out(web, customer, sign_in, new_browser):
    sign_in(customer.email, remember=True)
    remember_only = {REMEMBER: cookies_of(web)[REMEMBER]}
    assert is_signed_in(replay(new_browser, remember_only))

    web.post("/account/sign-out")

    assert not is_signed_in(replay(new_browser, remember_only))


def test_password_change_ends_other_devices_but_keeps_this_one(web, customer, sign_in, new_browser):
    laptop = new_browser()
    sign_in(customer.email, remember=True, browser=laptop)
    sign_in(customer.email)

    web.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert is_signed_in(web)
    assert not is_signed_in(laptop)
    assert not is_signed_in(replay(new_browser, {REMEMBER: cookies_of(laptop)[REMEMBER]}))


def test_devices_page_lists_each_browser_and_marks_this_one(web, customer, sign_in, new_browser):
    phone = new_browser()
    sign_in(customer.email, browser=phone, headers={"User-Agent": IPHONE})
    sign_in(customer.email, headers={"User-Agent": FIREFOX})

    page = web.get("/account/devices", headers={"User-Agent": FIREFOX}).get_data(as_text=True)

    assert "Firefox on Windows" in page
    assert "Safari on iPhone" in page
    assert page.count("This device") == 1
    assert "127.0.0.1" in page


def test_ending_another_session_signs_that_browser_out(web, customer, sign_in, new_browser, store):
    phone = new_browser()
    sign_in(customer.email, browser=phone, headers={"User-Agent": IPHONE})
    sign_in(customer.email, headers={"User-Agent": FIREFOX})
    assert len(store.audit_entries("account.signed_in")) == 2
    with web.client.application.app_context():
        (phone_row,) = db.session.query(UserSession).filter(UserSession.user_agent == IPHONE).all()

    response = web.post(f"/account/devices/{phone_row.id}/end")

    assert response.status_code == 302
    assert not is_signed_in(phone)
    assert is_signed_in(web)
    (entry,) = store.audit_entries("account.session_ended")
    assert entry.data["session_id"] == phone_row.id


def test_a_session_of_someone_else_cannot_be_ended(web, customer, make_user, sign_in, new_browser):
    other = make_user()
    theirs = new_browser()
    sign_in(other.email, browser=theirs)
    sign_in(customer.email)
    with web.client.application.app_context():
        (their_row,) = db.session.query(UserSession).filter(UserSession.user_id == other.id).all()

    assert web.post(f"/account/devices/{their_row.id}/end").status_code == 404
    assert is_signed_in(theirs)


def test_ending_sessions_needs_csrf_and_a_signed_in_user(web, customer, sign_in):
    assert web.post("/account/devices/sign-out-everywhere").status_code == 302  # to sign-in
    sign_in(customer.email)
    assert web.post("/account/devices/sign-out-everywhere", csrf=False).status_code == 400
    assert is_signed_in(web)


def test_sign_out_everywhere_ends_every_session_including_this_one(web, customer, sign_in, new_browser, store):
    laptop = new_browser()
    sign_in(customer.email, remember=True, browser=laptop)
    sign_in(customer.email)

    response = web.post("/account/devices/sign-out-everywhere")

    assert response.headers["Location"] == "/account/sign-in"
    assert not is_signed_in(web)
    assert not is_signed_in(laptop)
    (entry,) = store.audit_entries("account.signed_out_everywhere")
    assert entry.data["sessions"] == 2


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (FIREFOX, "Firefox on Windows"),
        (IPHONE, "Safari on iPhone"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "Chrome on Linux"),
        ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0", "Edge on Windows"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
    ],
)
def test_browsers_are_described_in_plain_words(agent, label):
    assert describe_browser(agent) == label


@pytest.mark.parametrize(
    ("ip", "place"),
    [
        ("81.2.69.142", "United Kingdom"),
        ("2a00:1450:4009:81f::200e", "United Kingdom"),
        ("8.8.8.8", "United States"),
        ("127.0.0.1", "This computer"),
        ("10.1.2.3", "A private network"),
        (None, "Unknown place"),
        ("not an address", "Unknown place"),
    ],
)
def test_a_sessions_place_is_its_country_looked_up_offline(ip, place):
    from app.accounts.places import place_of

    assert place_of(ip) == place


def test_the_devices_page_says_where_each_session_came_from(web, customer):
    from app.accounts.sessions import start_session

    start_session(customer, ip="81.2.69.142", user_agent="Mozilla/5.0 (iPhone) Safari/605.1", remember=False)
    db.session.commit()
    web.sign_in_as(customer)
    page = web.get("/account/devices").get_data(as_text=True)
    assert "United Kingdom (81.2.69.142)" in page and "This computer (127.0.0.1)" in page
