"""What app/ops/fast_paths.py does once instead of per request still behaves as Flask's and
Talisman's own: the same cookies, the same headers, a view's own policies."""

from __future__ import annotations

import pytest
from flask.sessions import SecureCookieSessionInterface

from app.ops.fast_paths import CachedTalisman, SessionInterface


def test_the_session_serializer_is_built_once_per_secret_key(app):
    interface = app.session_interface
    assert isinstance(interface, SessionInterface)
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    old_key = app.secret_key
    try:
        app.secret_key = "another-secret-key-for-this-test-only"
        assert interface.get_signing_serializer(app) is not first  # a new key signs anew
    finally:
        app.secret_key = old_key


def test_a_session_cookie_reads_as_flasks_own_would(app):
    """A value signed by Flask's stock interface opens with ours, and the reverse."""
    ours, stock = app.session_interface, SecureCookieSessionInterface()
    value = stock.get_signing_serializer(app).dumps({"cart": 7})
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}) as ctx:
        assert dict(ours.open_session(app, ctx.request)) == {"cart": 7}
    value = ours.get_signing_serializer(app).dumps({"cart": 8})
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}) as ctx:
        assert dict(stock.open_session(app, ctx.request)) == {"cart": 8}
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}=forged.value"}) as ctx:
        assert dict(ours.open_session(app, ctx.request)) == {}  # a bad signature: an empty session
    with app.test_request_context("/") as ctx:
        assert dict(ours.open_session(app, ctx.request)) == {}


def test_a_session_set_by_a_page_signs_in_and_comes_back(web, customer):
    web.sign_in_as(customer)
    assert "Sign out" in web.get("/bookings").text


def test_policies_are_built_once_and_read_the_same_on_every_response(app, client):
    talisman = app.extensions["talisman"]
    assert isinstance(talisman, CachedTalisman)
    first, second = client.get("/healthz"), client.get("/terms")
    for header in ("Content-Security-Policy", "Permissions-Policy"):
        assert first.headers[header] == second.headers[header]
    csp = first.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "geolocation=(self)" in first.headers["Permissions-Policy"]
    assert len(talisman._policy_text) >= 2  # the app's CSP and permissions policy, kept


def test_nonces_are_refused_rather_than_cached(app):
    with pytest.raises(ValueError, match="nonces"):
        CachedTalisman(app, content_security_policy_nonce_in=["script-src"])
