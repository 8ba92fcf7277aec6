"""Privacy policy, terms and cookie pages: readable, linked from every page, and the cookie
list matches the cookies a real session receives."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest

from app.privacy.legal import cookies_we_set
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.factories import ADMIN_TOTP_SECRET, PASSWORD


@pytest.mark.parametrize(
    ("path", "heading", "phrase"),
    [
        ("/privacy", "Privacy policy", "Information Commissioner"),
        ("/terms", "Terms of use", "Consumer Rights Act 2015"),
        ("/cookies", "Cookie policy", "strictly necessary"),
    ],
)
def test_each_legal_page_is_public_and_linked_in_the_footer(web, path, heading, phrase):
    response = web.get(path)
    assert response.status_code == 200
    assert f'<h1 class="h2">{heading}</h1>' in response.text and phrase in response.text
    assert f'href="{path}"' in web.get("/").text


def test_the_privacy_policy_states_the_configured_retention_periods(app, web):
    page = web.get("/privacy").text
    assert f"we wait {app.config['ACCOUNT_DELETION_GRACE_DAYS']} days" in page
    assert f"never confirmed: {app.config['RETENTION_UNVERIFIED_DAYS']} days" in page
    assert f"security log: {app.config['RETENTION_LOG_IP_DAYS']} days" in page


def _names(response) -> set[str]:
    return {header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")}


def test_the_cookie_page_lists_exactly_the_cookies_a_session_receives(app, ctx, web, admin, provider):
    """A visitor fills a cart, then an administrator signs in with "keep me signed in" and
    "don't ask again on this device": every cookie set on the way is on the page, and every
    cookie on the page was set."""
    _, service = make_bookable_venue(provider)
    received: set[str] = set()
    received |= _names(web.get("/"))
    received |= _names(web.post("/cart/items", cart_form(service, future_slot(days=3))))
    received |= _names(web.post("/account/sign-in", {"email": admin.email, "password": PASSWORD, "remember": "y"}))
    code = pyotp.TOTP(ADMIN_TOTP_SECRET).now()
    response = web.post("/account/two-factor", {"code": code, "remember_device": "y"})
    assert response.status_code == 302, response.text
    received |= _names(response)
    received |= _names(web.get("/admin/"))
    received |= _names(web.post("/language", {"language": "en", "next": "/"}))

    listed = {cookie.name for cookie in cookies_we_set() if not cookie.set_by_script}
    assert received == listed
    scripts = " ".join(path.read_text() for path in (Path(app.root_path).parent / "static" / "js").glob("*.js"))
    by_script = {cookie.name for cookie in cookies_we_set() if cookie.set_by_script}
    assert by_script and all(f'"{name}=' in scripts for name in by_script)
    assert len(set(re.findall(r'document\.cookie = "([a-z_]+)=', scripts))) == len(by_script)  # no unlisted one
    page = web.get("/cookies").text
    for name in listed | by_script:
        assert f"<code>{name}</code>" in page
