"""The provider's webhook pages: adding an endpoint (its secret shown once), bad input refused
with a 4xx and nothing stored, SSRF refusals with production's settings, another venue's rows not
found, the delivery log and resending."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app.platform.extensions import db
from app.webhooks import service
from app.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from tests.booking.helpers import make_bookable_venue

PAGE = "/provider/webhooks"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def salon(ctx, provider):
    return make_bookable_venue(provider)


@pytest.fixture
def owner(web, provider, salon):
    web.sign_in_as(provider)
    return web


def count() -> int:
    return db.session.scalar(select(func.count(WebhookEndpoint.id)))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(owner, receiver, salon):
    form = {"url": receiver.url("/ok"), "events": ["booking.created", "payout.paid"]}
    response = owner.post(PAGE, form, headers=HTMX)
    assert response.status_code == 201
    secret = re.search(r"data-secret>(whsec_[0-9a-f]{48})<", response.get_data(as_text=True)).group(1)
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.events == ["booking.created", "payout.paid"] and endpoint.venue_id == salon[0].id
    assert service.read_secret(endpoint) == secret
    assert secret not in endpoint.secret_encrypted  # kept encrypted
    again = owner.get(PAGE)
    assert again.status_code == 200 and secret not in again.get_data(as_text=True)
    assert receiver.url("/ok") in text(again)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"url": "not a url", "events": ["booking.created"]}, "isn't a web address"),
        ({"url": "ftp://example.com/x", "events": ["booking.created"]}, "isn't a web address"),
        ({"url": "", "events": ["booking.created"]}, "Enter the URL"),
        ({"url": "https://user:pw@example.com/x", "events": ["booking.created"]}, "user name and password"),
        ({"url": "http://127.0.0.1:1/ok", "events": ["booking.exploded"]}, "Unknown event: booking.exploded"),
        ({"url": "http://127.0.0.1:1/ok"}, "at least one event"),
        ({"url": "http://127.0.0.1:99999/ok", "events": ["booking.created"]}, "isn't a valid URL"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(owner, form, message):
    response = owner.post(PAGE, form)
    assert response.status_code == 422
    assert message in text(response)
    assert count() == 0


def test_a_post_without_the_csrf_token_is_refused(owner):
    response = owner.post(PAGE, {"url": "https://example.com/x", "events": ["booking.created"]}, csrf=False)
    assert response.status_code == 400
    assert count() == 0


@pytest.fixture
def production_rules(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    monkeypatch.setitem(app.config, "WEBHOOKS_REQUIRE_HTTPS", True)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://localhost/hook",  # a name that resolves to loopback
    ],
)
def test_ssrf_private_and_loopback_addresses_are_refused_in_production(owner, production_rules, url):
    response = owner.post(PAGE, {"url": url, "events": ["booking.created"]})
    assert response.status_code == 422
    assert "private or local network address" in text(response)
    assert count() == 0


def test_plain_http_is_refused_in_production(owner, production_rules):
    response = owner.post(PAGE, {"url": "http://example.com/hook", "events": ["booking.created"]})
    assert response.status_code == 422 and "https://" in text(response)
    assert count() == 0


def test_the_blocklist_itself():
    from app.webhooks.transport import blocked

    refused = ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "::1", "fe80::1"]
    refused += ["fc00::1", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::ffff:10.0.0.1"]  # noqa: S104
    for address in refused:
        assert blocked(address), address
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"):
        assert not blocked(address), address


@pytest.fixture
def others(ctx, make_user, receiver):
    """Another venue's endpoint with one delivery."""
    venue, _ = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    endpoint, _ = service.create_endpoint(venue, url=receiver.url("/ok"), events=list(EVENT_TYPES))
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1})
    db.session.flush()
    return endpoint, delivery_id


def test_another_venues_endpoint_and_delivery_are_not_found(owner, others):
    endpoint, delivery_id = others
    assert owner.get(f"{PAGE}/{endpoint.id}").status_code == 404
    assert owner.post(f"{PAGE}/{endpoint.id}/delete").status_code == 404
    assert owner.post(f"{PAGE}/{endpoint.id}/enable").status_code == 404
    assert owner.post(f"{PAGE}/deliveries/{delivery_id}/resend").status_code == 404
    assert db.session.get(WebhookEndpoint, endpoint.id) is not None
    assert endpoint.url not in text(owner.get(PAGE))


def test_the_log_shows_each_attempt_and_resend_queues_another(owner, salon, receiver, run_jobs):
    venue, _ = salon
    endpoint, _ = service.create_endpoint(venue, url=receiver.url("/fail"), events=["review.created"])
    (delivery_id,) = service.emit(venue.id, "review.created", {"id": 7})
    service.deliver(delivery_id)
    db.session.commit()
    page = owner.get(f"{PAGE}/{endpoint.id}")
    body = text(page)
    assert page.status_code == 200
    assert "review.created" in body and "HTTP 500" in body and "Will retry" in body
    resent = owner.post(f"{PAGE}/deliveries/{delivery_id}/resend", headers=HTMX)
    assert resent.status_code == 200 and "Sending it again" in resent.headers["HX-Trigger"]
    assert db.session.get(WebhookDelivery, delivery_id).status == "pending"


def test_the_owner_deletes_an_endpoint(owner, salon, receiver):
    endpoint, _ = service.create_endpoint(salon[0], url=receiver.url("/ok"), events=["booking.created"])
    db.session.commit()
    response = owner.post(f"{PAGE}/{endpoint.id}/delete", headers=HTMX)
    assert response.status_code == 200
    assert count() == 0
