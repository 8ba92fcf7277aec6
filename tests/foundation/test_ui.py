"""The page shell: fragments for HTMX, CSRF everywhere, security headers, error pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Response

from app import create_app
from app.web.rendering import add_toast, render_page
from tests.ops.test_production_settings import PRODUCTION_SETTINGS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_render_page_returns_the_whole_page_normally(app):
    with app.test_request_context("/admin/audit"):
        response = render_page("admin/audit.html", "entries", entries=[])
    html = response.get_data(as_text=True)
    assert "<html" in html and "Nothing has happened yet" in html
    assert "HX-Request" in response.headers["Vary"]


def test_render_page_returns_only_the_named_block_for_htmx(app):
    with app.test_request_context("/admin/audit", headers={"HX-Request": "true"}):
        response = render_page("admin/audit.html", "entries", entries=[])
    html = response.get_data(as_text=True)
    assert "<html" not in html and "<nav" not in html
    assert "Nothing has happened yet" in html
    assert "HX-Request" in response.headers["Vary"]


def test_toasts_ride_on_the_hx_trigger_header():
    response = add_toast(add_toast(Response("x"), "Saved"), "Careful", "warning")
    triggers = json.loads(response.headers["HX-Trigger"])
    assert triggers["cw:toast"] == [
        {"message": "Saved", "category": "success"},
        {"message": "Careful", "category": "warning"},
    ]


def test_every_page_carries_the_csrf_token_for_htmx_requests(client):
    html = client.get("/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert 'name="csrf-token"' in html


def test_state_changing_request_without_csrf_token_is_refused(web, customer):
    web.sign_in_as(customer)
    response = web.post("/account/sign-out", csrf=False)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert web.get("/account/profile").status_code == 200  # still signed in


def test_csrf_token_in_the_htmx_header_is_accepted(web, customer):
    from tests.conftest import csrf_token

    web.sign_in_as(customer)
    token = csrf_token(web.client)
    response = web.client.post("/account/sign-out", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302
    assert web.get("/account/profile").status_code == 302  # signed out


def test_security_headers_are_set(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
INLINE = re.compile(
    r"<[a-zA-Z][^>]*\s(?:style|on[a-z]+)\s*=|<script(?![^>]*\s(?:src=|type=\"application/(?:ld\+)?json\"))[^>]*>|<style",
    re.IGNORECASE,
)


def test_no_page_template_holds_what_the_csp_refuses():
    """An inline style or script in a page is refused by the CSP (a console error, an unstyled
    element); JSON data blocks are not run, and emails are not pages (they keep their styles)."""
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)[:60]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.relative_to(TEMPLATES).parts[0] != "emails"
        for match in INLINE.finditer(JINJA_COMMENT.sub("", path.read_text()))
    ]
    assert not found, "\n".join(found)


def test_custom_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "Go to the home page" in html


def test_404_for_htmx_is_a_fragment(client):
    response = client.get("/no/such/page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)
    assert "Page not found" in response.get_data(as_text=True)


def test_custom_403_page(web, customer):
    web.sign_in_as(customer)
    response = web.get("/admin/")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


def test_upload_over_the_size_limit_is_413(web, customer, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    web.sign_in_as(customer)
    response = web.client.post("/account/profile", data={"name": "x" * 5000})
    assert response.status_code == 413
    assert "larger than we accept" in response.get_data(as_text=True)


def test_navigation_is_keyboard_and_screen_reader_friendly(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="#main"' in html and 'id="main"' in html
    assert 'id="theme-toggle"' in html and "aria-pressed" in html
    assert 'aria-live="polite"' in html  # the toast region


@pytest.mark.committing
def test_unexpected_errors_get_the_custom_500_page(database_url, tmp_path):
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RENDER_ERRORS_IN_TESTS": True,
            "UPLOAD_ROOT": str(tmp_path),
        },
    )

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaput")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "kaput" not in html


@pytest.mark.committing
def test_production_cookies_are_secure_httponly_and_samesite(database_url, tmp_path):
    app = create_app(
        "production",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "x" * 40,
            **PRODUCTION_SETTINGS,
            "UPLOAD_ROOT": str(tmp_path),
            "MAIL_BACKEND": "locmem",
        },
    )
    client = app.test_client()
    insecure = client.get("/account/sign-in", base_url="http://localhost")
    assert insecure.status_code == 302  # http is sent to https
    assert insecure.headers["Location"].startswith("https://")
    response = client.get("/account/sign-in", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    hsts = response.headers["Strict-Transport-Security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000  # at least a year


def test_production_refuses_the_development_secret_key(database_url):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", overrides={"SQLALCHEMY_DATABASE_URI": database_url})
