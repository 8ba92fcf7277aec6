"""Links that leave the site come from BASE_URL; requests for a host that isn't ours are refused."""

from __future__ import annotations

import pytest

from app import create_app
from app.platform.urls import absolute_url
from tests.accounts.conftest import LINK_RE
from tests.factories import PASSWORD

EVIL = "evil.example"
EMAIL_SENDING_POSTS = [
    ("/account/sign-up", {"email": "new@example.com", "name": "New", "password": "amber-falcon-quilt-93"}),
    ("/account/verify/resend", {"email": "new@example.com"}),
    ("/account/forgot-password", {"email": "someone@example.com"}),
    ("/account/email", {"new_email": "other@example.com", "current_password": PASSWORD}),
]


def test_every_route_refuses_a_forged_host(app, client):
    """Walk the URL map: with Host: evil.example every path answers 400 and nothing runs."""
    probes = {"/healthz", "/readyz"}
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", "1")
        path = path.split("<")[0] if "<" in path else path
        if path in probes:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, headers={"Host": EVIL})
            assert response.status_code == 400, (method, path, response.status_code)
            assert b"Unknown host" in response.data


@pytest.mark.parametrize(("path", "data"), EMAIL_SENDING_POSTS)
def test_email_sending_routes_refuse_a_forged_host_and_send_nothing(web, customer, path, data, mail, outbox):
    web.sign_in_as(customer)
    response = web.post(path, data, headers={"Host": EVIL})

    assert response.status_code == 400
    mail(customer.email)
    assert outbox == []


def test_a_forwarded_host_is_ignored_without_a_proxy_and_links_use_base_url(web, customer, mail):
    response = web.post(
        "/account/forgot-password",
        {"email": customer.email},
        headers={"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https"},
    )

    assert response.status_code == 302
    (message,) = mail(customer.email)
    links = LINK_RE.findall(message.body) + LINK_RE.findall(message.alternatives[0][0])
    assert links
    assert all(link.startswith("http://localhost/") for link in links), links
    assert EVIL not in message.body


def test_behind_a_proxy_a_forged_forwarded_host_is_refused(database_url, tmp_path):
    app = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_ROOT": str(tmp_path), "PROXY_FIX_HOPS": 1},
    )
    client = app.test_client()

    assert client.get("/account/sign-in", headers={"X-Forwarded-Host": EVIL}).status_code == 400
    assert client.get("/account/sign-in", headers={"X-Forwarded-Host": "localhost"}).status_code == 200


def test_health_probes_answer_whatever_the_host(client):
    assert client.get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 200


def test_extra_trusted_hosts_come_from_the_setting(database_url, tmp_path):
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_ROOT": str(tmp_path),
            "BASE_URL": "https://cozywish.example",
            "TRUSTED_HOSTS_EXTRA": "www.cozywish.example, .staff.cozywish.example",
        },
    )
    client = app.test_client()

    for host in ("cozywish.example", "www.cozywish.example", "eu.staff.cozywish.example", "localhost:5000"):
        assert client.get("/account/sign-in", headers={"Host": host}).status_code == 200, host
    assert client.get("/account/sign-in", headers={"Host": "cozywish.example.evil.example"}).status_code == 400


def test_absolute_urls_use_base_url_with_its_scheme_and_path(app):
    with app.test_request_context(base_url=f"http://{EVIL}"):
        app.config["BASE_URL"] = "https://cozywish.example/shop"
        try:
            assert absolute_url("accounts.sign_in") == "https://cozywish.example/shop/account/sign-in"
            assert absolute_url("accounts.reset_password", token="abc") == (
                "https://cozywish.example/shop/account/reset-password/abc"
            )
        finally:
            app.config["BASE_URL"] = "http://localhost"
