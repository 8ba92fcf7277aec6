"""The installable app (docs/installable-app.md): the manifest, the service worker's script, the
offline page, and signing out clearing what the browser kept. The browser side (the worker
keeping a booking page and showing it offline) is e2e/test_installable_app_journey.py."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.statements import statements_sent

SETTINGS_LINE = re.compile(r"\Aself\.COZYWISH_SW = (\{.*?\});\n")


@pytest.fixture
def booking(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    return book(customer, service, future_slot(days=5))


def worker_settings(client) -> dict:
    body = client.get("/sw.js").get_data(as_text=True)
    match = SETTINGS_LINE.match(body)
    assert match, body[:200]
    return json.loads(match.group(1))


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


# -- the manifest --------------------------------------------------------------------------------


def test_the_manifest_is_served_as_a_web_app_manifest_with_what_installing_needs(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-cache"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    manifest = response.get_json(force=True)
    assert manifest["name"] == "CozyWish" and manifest["short_name"] == "CozyWish"
    assert manifest["start_url"] == "/bookings" and manifest["scope"] == "/"
    assert manifest["start_url"].startswith(manifest["scope"])
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#6941c6" and manifest["background_color"] == "#ffffff"
    assert manifest["lang"] == "en" and manifest["description"]


def test_every_icon_the_manifest_names_exists_as_a_png_of_its_declared_size(client):
    icons = client.get("/manifest.webmanifest").get_json(force=True)["icons"]

    for icon in icons:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        assert response.mimetype == icon["type"] == "image/png"
        picture = Image.open(io.BytesIO(response.data))
        assert picture.format == "PNG"
        assert f"{picture.width}x{picture.height}" == icon["sizes"], icon["src"]
    declared = {(icon["sizes"], icon["purpose"]) for icon in icons}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= declared


def test_the_manifest_speaks_the_visitors_language(client):
    client.set_cookie("lang", "es")

    manifest = client.get("/manifest.webmanifest").get_json(force=True)

    assert manifest["lang"] == "es"
    assert manifest["description"].startswith("Tus reservas de spa")
    assert {"name": "Mis reservas", "url": "/bookings"} in manifest["shortcuts"]


def test_every_page_links_the_manifest_and_registers_the_worker(client):
    html = client.get("/").get_data(as_text=True)

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert re.search(r'<script src="/static/js/pwa\.js" data-service-worker="/sw\.js"[^>]* defer>', html)
    assert '<meta name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)">' in html
    assert '<meta name="theme-color" content="#212529" media="(prefers-color-scheme: dark)">' in html


# -- the service worker ------------------------------------------------------------------------


def test_the_worker_is_served_from_the_root_as_javascript_and_never_cached_unasked(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["ETag"]
    assert 'addEventListener("fetch"' in response.get_data(as_text=True)


def test_an_unchanged_worker_answers_304_to_its_etag(client):
    etag = client.get("/sw.js").headers["ETag"]

    again = client.get("/sw.js", headers={"If-None-Match": etag})

    assert again.status_code == 304


def test_every_file_the_worker_keeps_at_install_is_there(client):
    settings = worker_settings(client)

    assert settings["offline"] == "/offline" and settings["offline"] in settings["precache"]
    assert settings["myBookings"] == "/bookings" and settings["signIn"] == "/account/sign-in"
    assert "/account/sign-out" in settings["signOut"]
    for url in settings["precache"]:
        assert client.get(url).status_code == 200, url  # one missing file and the worker never installs
    assert re.fullmatch(r"[0-9a-f]{12}", settings["version"])


def test_the_worker_names_nothing_of_the_signed_in_visitor(web, customer):
    anonymous = web.get("/sw.js").get_data(as_text=True)
    web.sign_in_as(customer)

    signed_in = web.get("/sw.js").get_data(as_text=True)

    assert signed_in == anonymous
    assert customer.email not in signed_in


def test_the_content_security_policy_lets_our_own_worker_and_manifest_load(client):
    directives = csp_directives(client.get("/"))

    # worker-src and manifest-src fall back to default-src; script-src governs importScripts.
    assert directives.get("worker-src", directives["default-src"]) == ["'self'"]
    assert directives.get("manifest-src", directives["default-src"]) == ["'self'"]
    assert directives["script-src"] == ["'self'"]


# -- the offline page ----------------------------------------------------------------------------


def test_the_offline_page_renders_without_sign_in_or_the_database(client):
    with statements_sent(savepoints=True) as sent:
        response = client.get("/offline")

    assert response.status_code == 200
    assert sent == []
    html = response.get_data(as_text=True)
    assert "You're offline" in html
    assert 'href="/bookings"' in html
    assert "csrf" not in html.lower() and "<form" not in html  # kept on the device: no token, no form
    assert "<script>" not in html and "style=" not in html  # the CSP's rules, as every page


def test_the_offline_page_names_no_one_even_when_asked_for_by_a_signed_in_browser(web, customer):
    web.sign_in_as(customer)

    html = web.get("/offline").get_data(as_text=True)

    assert customer.name not in html and customer.email not in html
    assert "Sign out" not in html


def test_the_offline_page_and_the_offline_banner_speak_spanish(client):
    client.set_cookie("lang", "es")

    offline = client.get("/offline").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)

    assert "Estás sin conexión" in offline and 'lang="es"' in offline
    text = json.loads(re.search(r'<script type="application/json" id="js-text">(.*?)</script>', home, re.S).group(1))
    assert text["You're offline; this copy is from {time}."] == "Estás sin conexión; esta copia es del {time}."


# -- what the worker keeps, and signing out ------------------------------------------------------


def test_the_booking_pages_the_worker_copies_say_no_store_to_every_other_cache(web, customer, booking):
    web.sign_in_as(customer)

    for path in ("/bookings", f"/bookings/{booking.reference}"):
        response = web.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-store", path
    assert "<svg" in web.get(f"/bookings/{booking.reference}").get_data(as_text=True)  # the QR code is inline


def test_signing_out_tells_the_browser_to_clear_its_cache_and_still_goes_home(web, customer):
    web.sign_in_as(customer)

    response = web.post("/account/sign-out")

    assert response.status_code == 302 and response.location == "/"
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert web.get("/bookings").status_code == 302  # signed out indeed


def test_signing_out_everywhere_clears_this_browsers_cache_too(web, customer):
    web.sign_in_as(customer)

    response = web.post("/account/devices/sign-out-everywhere")

    assert response.status_code == 302 and response.location == "/account/sign-in"
    assert response.headers["Clear-Site-Data"] == '"cache"'
