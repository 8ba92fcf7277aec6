"""Rolling an endpoint's signing secret (both secrets sign during the grace period, only the new
one after it), bad input and another venue's endpoint refused, and the daily prune of old
delivery logs (finished deliveries past WEBHOOKS_LOG_RETENTION_DAYS, their attempts with them)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from app.platform.extensions import db
from app.platform.jobs import queue
from app.webhooks import service, signing
from app.webhooks.models import EVENT_TYPES, WebhookAttempt, WebhookDelivery, WebhookEndpoint
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


def header_signatures(header: str) -> tuple[int, list[str]]:
    pairs = [part.split("=", 1) for part in header.split(",")]
    return int(dict(pairs)["t"]), [value for key, value in pairs if key == "v1"]


def deliver_one(venue, now: datetime):
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1}, now=now)
    service.deliver(delivery_id, now=now)
    return db.session.get(WebhookDelivery, delivery_id)


def test_during_the_grace_period_both_secrets_sign_and_after_it_only_the_new_one(salon, receiver):
    venue, _ = salon
    endpoint, old = service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    rolled_at = datetime.now(UTC)
    _same, new = service.roll_secret(venue, endpoint.id, grace_hours=24, now=rolled_at)
    assert new != old and new.startswith("whsec_")
    assert service.read_secret(endpoint) == new

    during = rolled_at + timedelta(hours=23, minutes=59)
    deliver_one(venue, during)
    hit = receiver.hits("/ok")[-1]
    header = hit.headers[signing.HEADER]
    timestamp, v1s = header_signatures(header)
    assert timestamp == int(during.timestamp())
    assert v1s == [signing.signature(new, timestamp, hit.body), signing.signature(old, timestamp, hit.body)]
    # a receiver holding either secret accepts it; one holding neither does not
    assert signing.verify(new, header, hit.body, now=timestamp)
    assert signing.verify(old, header, hit.body, now=timestamp)
    assert not signing.verify(signing.new_secret(), header, hit.body, now=timestamp)

    after = rolled_at + timedelta(hours=24, seconds=1)
    deliver_one(venue, after)
    hit = receiver.hits("/ok")[-1]
    header = hit.headers[signing.HEADER]
    timestamp, v1s = header_signatures(header)
    assert v1s == [signing.signature(new, timestamp, hit.body)]
    assert signing.verify(new, header, hit.body, now=timestamp)
    assert not signing.verify(old, header, hit.body, now=timestamp)


def test_no_grace_stops_the_old_secret_at_once_and_a_second_roll_drops_the_first(salon, receiver):
    venue, _ = salon
    endpoint, _first = service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    now = datetime.now(UTC)
    _e, second = service.roll_secret(venue, endpoint.id, grace_hours=24, now=now)
    _e, third = service.roll_secret(venue, endpoint.id, grace_hours=24, now=now + timedelta(hours=1))
    assert service.signing_secrets(endpoint, now=now + timedelta(hours=2)) == [third, second]  # not `first`
    _e, fourth = service.roll_secret(venue, endpoint.id, grace_hours=0, now=now + timedelta(hours=3))
    assert service.signing_secrets(endpoint, now=now + timedelta(hours=3)) == [fourth]
    assert endpoint.previous_secret_encrypted is None


def test_the_owner_rolls_the_secret_on_the_page_and_sees_the_new_one_once(owner, salon, receiver):
    venue, _ = salon
    endpoint, old = service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    db.session.commit()
    response = owner.post(f"{PAGE}/{endpoint.id}/roll-secret", {"grace_hours": "24"}, headers=HTMX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    new = re.search(r"data-secret>(whsec_[0-9a-f]{48})<", body).group(1)
    assert new != old and "New signing secret made" in html.unescape(response.headers.get("HX-Trigger", "") + body)
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert service.read_secret(endpoint) == new
    assert endpoint.previous_secret_expires_at - endpoint.secret_rotated_at == timedelta(hours=24)
    again = owner.get(PAGE)
    assert new not in again.get_data(as_text=True)
    assert "data-grace-until" in again.get_data(as_text=True)


def test_the_page_in_spanish(owner, salon, receiver):
    venue, _ = salon
    service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    db.session.commit()
    response = owner.get(PAGE, headers={"Accept-Language": "es"})
    assert "Cambiar secreto" in response.get_data(as_text=True)


@pytest.mark.parametrize("grace", ["5", "-1", "abc", "24.5", "99999999"])
def test_a_bad_grace_period_is_refused_and_nothing_changes(owner, salon, receiver, grace):
    venue, _ = salon
    endpoint, old = service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    db.session.commit()
    response = owner.post(f"{PAGE}/{endpoint.id}/roll-secret", {"grace_hours": grace})
    assert response.status_code == 422
    assert "Choose how long the old secret keeps working" in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert service.read_secret(endpoint) == old
    assert endpoint.previous_secret_encrypted is None and endpoint.secret_rotated_at is None


def test_rolling_without_the_csrf_token_is_refused(owner, salon, receiver):
    venue, _ = salon
    endpoint, old = service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    db.session.commit()
    response = owner.post(f"{PAGE}/{endpoint.id}/roll-secret", {"grace_hours": "24"}, csrf=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert service.read_secret(db.session.get(WebhookEndpoint, endpoint.id)) == old


def test_another_venues_endpoint_is_not_found_and_keeps_its_secret(owner, make_user, receiver):
    venue, _ = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    endpoint, theirs = service.create_endpoint(venue, url=receiver.url("/ok"), events=list(EVENT_TYPES))
    db.session.commit()
    assert owner.post(f"{PAGE}/{endpoint.id}/roll-secret", {"grace_hours": "24"}).status_code == 404
    assert owner.post(f"{PAGE}/999999/roll-secret", {"grace_hours": "24"}).status_code == 404
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert service.read_secret(endpoint) == theirs and endpoint.secret_rotated_at is None


def test_a_customer_cannot_roll_a_secret(web, customer, salon, receiver):
    venue, _ = salon
    endpoint, old = service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    db.session.commit()
    web.sign_in_as(customer)
    response = web.post(f"{PAGE}/{endpoint.id}/roll-secret", {"grace_hours": "24"})
    assert response.status_code in (302, 403, 404)
    db.session.expire_all()
    assert service.read_secret(db.session.get(WebhookEndpoint, endpoint.id)) == old


def test_verify_refuses_malformed_headers():
    secret, body, now = signing.new_secret(), "{}", 1_800_000_000
    good = signing.header_value(secret, now, body)
    assert signing.verify(secret, good, body, now=now)
    for header in ("", "t=abc,v1=00", f"t={now}", f"t={now},t={now},{good.split(',')[1]}", "v1=00,v1=11"):
        assert not signing.verify(secret, header, body, now=now), header


# -- retention ------------------------------------------------------------------------------------


def _age(delivery_id: int, days: float, status: str) -> None:
    db.session.execute(
        text(
            "UPDATE webhook_deliveries SET created_at = now() - make_interval(secs => :s), status = :st WHERE id = :id"
        ),
        {"s": days * 86400, "st": status, "id": delivery_id},
    )


def test_old_finished_deliveries_and_their_attempts_are_pruned(app, salon, receiver):
    venue, _ = salon
    service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    ids = [service.emit(venue.id, "booking.created", {"id": n})[0] for n in range(5)]
    for delivery_id in ids:
        service.deliver(delivery_id)  # one attempt each
    _age(ids[0], 31, "succeeded")  # old and finished: goes
    _age(ids[1], 45, "failed")  # old and finished: goes
    _age(ids[2], 31, "retrying")  # old but still being tried: stays
    _age(ids[3], 29, "succeeded")  # inside the 30 days: stays
    db.session.flush()
    assert app.config["WEBHOOKS_LOG_RETENTION_DAYS"] == 30

    assert service.prune_log() == 2
    left = set(db.session.scalars(select(WebhookDelivery.id)))
    assert left == {ids[2], ids[3], ids[4]}
    attempts = set(db.session.scalars(select(WebhookAttempt.delivery_id)))
    assert attempts == {ids[2], ids[3], ids[4]}  # the pruned deliveries' attempts went with them
    assert service.prune_log() == 0  # nothing more to do


def test_the_retention_is_a_setting(app, salon, receiver, monkeypatch):
    venue, _ = salon
    service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1})
    _age(delivery_id, 8, "succeeded")
    db.session.flush()
    assert service.prune_log() == 0
    monkeypatch.setitem(app.config, "WEBHOOKS_LOG_RETENTION_DAYS", 7)
    assert service.prune_log() == 1
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0


def test_the_prune_forgets_rolled_secrets_whose_grace_is_over(salon, receiver):
    venue, _ = salon
    endpoint, _ = service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created"])
    now = datetime.now(UTC)
    service.roll_secret(venue, endpoint.id, grace_hours=1, now=now - timedelta(hours=2))
    assert endpoint.previous_secret_encrypted is not None
    service.prune_log(now=now)
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint.id).previous_secret_encrypted is None


def test_the_prune_job_is_on_the_daily_schedule(app):
    periodic = {t.periodic_id: (t.task.name, t.cron) for t in queue.periodic_registry.periodic_tasks.values()}
    assert periodic["webhooks-prune-log"] == ("webhooks.prune_log", "29 3 * * *")
