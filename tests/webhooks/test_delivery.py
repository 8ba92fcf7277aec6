"""Outgoing webhooks against a real local HTTP receiver (tests/webhooks/receiver.py): a signed
delivery, a receiver that times out, one that answers 500 (retried with backoff), one that
redirects (not followed), and an endpoint turned off after repeated failures, its owner told."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, text

from app.booking.check_ins import check_in
from app.booking.lifecycle import cancel_by_venue
from app.notifications.models import Notice
from app.platform.extensions import db
from app.webhooks import service, signing
from app.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past


@pytest.fixture
def salon(ctx, provider):
    return make_bookable_venue(provider)


def endpoint_for(venue, receiver, path="/ok", events=("booking.created",)):
    return service.create_endpoint(venue, url=receiver.url(path), events=list(events))


def queued_deliveries() -> list[dict]:
    rows = db.session.execute(
        text(
            "SELECT args, scheduled_at, status FROM procrastinate_jobs WHERE task_name = 'webhooks.deliver' ORDER BY id"
        )
    ).mappings()
    return [dict(row) for row in rows]


def test_a_paid_booking_is_delivered_signed_with_the_endpoint_secret(salon, customer, receiver, run_jobs):
    venue, svc = salon
    endpoint, secret = endpoint_for(venue, receiver)
    lag = "cozywish_webhook_delivery_lag_seconds_count"
    lags_before = REGISTRY.get_sample_value(lag, {"outcome": "delivered"}) or 0
    booking = book(customer, svc, future_slot(days=3, hour=10))
    assert run_jobs()  # the delivery job, with the emails
    assert REGISTRY.get_sample_value(lag, {"outcome": "delivered"}) == lags_before + 1  # /metrics sees the lag
    (hit,) = receiver.hits("/ok")
    header = hit.headers[signing.HEADER]
    assert signing.verify(secret, header, hit.body, now=int(datetime.now(UTC).timestamp()))
    assert not signing.verify(secret + "x", header, hit.body, now=int(datetime.now(UTC).timestamp()))
    event = json.loads(hit.body)
    assert event["type"] == "booking.created" and event["id"].startswith("evt_")
    assert datetime.fromisoformat(event["created_at"]).utcoffset() == timedelta(0)
    data = event["data"]
    assert data["id"] == booking.id and data["reference"] == booking.reference
    assert data["price"] == {"amount_minor": 6000, "currency": booking.currency}
    assert datetime.fromisoformat(data["starts_at"]) == booking.starts_at
    assert data["order_channel"] == "marketplace"
    # Nothing of a spa's menu on a plain booking (issue 44): no option, add-on, gap, visit or guest.
    assert (data["option"], data["addons"], data["processing"]) == (None, [], None)
    assert (data["visit_key"], data["guest"], data["guest_name"]) == (None, None, None)
    delivery = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)).one()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
    (attempt,) = delivery.attempt_rows
    assert attempt.status_code == 200 and attempt.succeeded and attempt.response_ms >= 0
    assert attempt.body_excerpt == '{"received": true}'


def test_an_unsubscribed_event_or_another_venue_sends_nothing(salon, customer, make_user, receiver):
    venue, svc = salon
    endpoint_for(venue, receiver, events=("review.created",))
    other, _ = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    endpoint_for(other, receiver)
    book(customer, svc, future_slot(days=3, hour=10))
    assert db.session.scalar(select(WebhookDelivery.id)) is None


def test_check_in_and_cancellation_are_events_too(salon, customer, provider, receiver, run_jobs):
    venue, svc = salon
    endpoint_for(venue, receiver, events=("booking.checked_in", "booking.cancelled"))
    booking = book(customer, svc, future_slot(days=3, hour=10))
    moment = booking.starts_at - timedelta(minutes=30)
    check_in(venue, booking.reference, actor_id=provider.id, now=moment)
    cancel_by_venue(booking, actor=provider, reason="Closed for a leak")
    run_jobs()
    types = [json.loads(hit.body)["type"] for hit in receiver.hits("/ok")]
    assert sorted(types) == ["booking.cancelled", "booking.checked_in"]
    cancelled = next(json.loads(h.body) for h in receiver.hits("/ok") if "cancelled" in h.body)
    assert cancelled["data"]["cancelled_by"] == "venue"


def test_a_receiver_that_times_out_is_retried_a_minute_later(salon, receiver):
    venue, _ = salon
    endpoint, _ = endpoint_for(venue, receiver, path="/slow")
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1})
    now = datetime.now(UTC)
    attempt = service.deliver(delivery_id, now=now)
    assert attempt.error == "timed out" and attempt.status_code is None and not attempt.succeeded
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert delivery.status == "retrying" and delivery.next_attempt_at == now + timedelta(minutes=1)
    assert endpoint.consecutive_failures == 1 and endpoint.enabled


def test_a_500_is_retried_with_growing_delays(salon, receiver):
    venue, _ = salon
    endpoint_for(venue, receiver, path="/fail")
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1})
    now = datetime.now(UTC)
    first = service.deliver(delivery_id, now=now)
    assert first.status_code == 500 and first.error == "HTTP 500"
    assert first.body_excerpt == "x" * 500  # the log keeps the first 500 characters
    second = service.deliver(delivery_id, now=now + timedelta(minutes=1))
    assert second.status_code == 500
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=5)
    jobs = queued_deliveries()
    # the first delivery job (at once), then one per retry, each scheduled after its delay
    assert [job["args"] for job in jobs] == [{"delivery_id": delivery_id}] * 3
    assert jobs[1]["scheduled_at"] == now + timedelta(minutes=1)
    assert jobs[2]["scheduled_at"] == now + timedelta(minutes=6)
    assert len(receiver.hits("/fail")) == 2


def test_the_retries_add_up_to_about_three_days(app):
    total = sum(app.config["WEBHOOKS_RETRY_MINUTES"])
    assert timedelta(days=2, hours=12) <= timedelta(minutes=total) <= timedelta(days=3, hours=12)


def test_a_redirect_is_not_followed_and_counts_as_a_failure(salon, receiver):
    venue, _ = salon
    endpoint_for(venue, receiver, path="/redirect")
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1})
    attempt = service.deliver(delivery_id)
    assert attempt.status_code == 302 and not attempt.succeeded
    assert "not followed" in attempt.error
    assert receiver.hits("/ok") == []
    assert db.session.get(WebhookDelivery, delivery_id).status == "retrying"


def test_the_last_retry_failing_turns_the_endpoint_off_and_tells_the_owner(
    app, salon, provider, receiver, run_jobs, outbox
):
    venue, _ = salon
    endpoint, _ = endpoint_for(venue, receiver, path="/fail")
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1})
    delivery = db.session.get(WebhookDelivery, delivery_id)
    delivery.attempts = len(app.config["WEBHOOKS_RETRY_MINUTES"])  # every retry already made
    service.deliver(delivery_id)
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert not endpoint.enabled and endpoint.disabled_reason == "retries_exhausted"
    notice = db.session.scalars(select(Notice).where(Notice.user_id == provider.id)).one()
    assert "turned off" in notice.title
    db.session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'webhooks.deliver'"))
    run_jobs()
    (mail,) = [m for m in outbox if m.to == [provider.email]]
    assert receiver.url("/fail") in mail.body
    # a disabled endpoint gets nothing more, and resending is refused until it is turned back on
    assert service.emit(venue.id, "booking.created", {"id": 2}) == []
    with pytest.raises(service.ValidationFailed):
        service.resend(venue, delivery_id)


def test_too_many_failures_in_a_row_turn_the_endpoint_off(app, salon, receiver):
    venue, _ = salon
    endpoint, _ = endpoint_for(venue, receiver, path="/fail")
    endpoint.consecutive_failures = app.config["WEBHOOKS_DISABLE_AFTER"] - 1
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1})
    service.deliver(delivery_id)
    assert not endpoint.enabled and endpoint.disabled_reason == "failures_in_a_row"
    # a success in between starts the count again
    service.enable_endpoint(venue, endpoint.id)
    assert endpoint.enabled and endpoint.consecutive_failures == 0


def test_a_success_resets_the_failure_count_and_resend_sends_the_same_body(salon, receiver, run_jobs):
    venue, _ = salon
    endpoint, secret = endpoint_for(venue, receiver)
    endpoint.consecutive_failures = 3
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1})
    run_jobs()
    db.session.refresh(endpoint)
    assert endpoint.consecutive_failures == 0
    db.session.refresh(db.session.get(WebhookDelivery, delivery_id))  # the job ran in its own session
    service.resend(venue, delivery_id)
    run_jobs()
    first, second = receiver.hits("/ok")
    assert first.body == second.body
    assert signing.verify(secret, second.headers[signing.HEADER], second.body, now=int(datetime.now(UTC).timestamp()))
    assert db.session.scalar(select(db.func.count(WebhookAttempt.id))) == 2


def test_ssrf_the_resolved_address_is_checked_again_at_send_time(app, salon, receiver, monkeypatch):
    """Saved while private addresses were allowed (or a name that later resolves to one): the send
    itself refuses to connect."""
    venue, _ = salon
    endpoint_for(venue, receiver)
    (delivery_id,) = service.emit(venue.id, "booking.created", {"id": 1})
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    attempt = service.deliver(delivery_id)
    assert attempt.status_code is None and "private or reserved" in attempt.error
    assert receiver.received == []


def test_moves_reviews_and_payouts_become_events(salon, customer, receiver, run_jobs):
    from app.booking.events import booking_moved
    from app.payouts.events import payout_paid
    from app.reviews.service import create_review

    venue, svc = salon
    endpoint_for(venue, receiver, events=("booking.rescheduled", "review.created", "payout.paid"))
    booking = book(customer, svc, future_slot(days=3, hour=10))
    before = booking.starts_at
    booking_moved.send(
        "customer", booking=booking, from_starts_at=before, refunded_minor=0, paid_minor=0, now=datetime.now(UTC)
    )
    arrival = datetime(2026, 12, 1, tzinfo=UTC)
    payout_paid.send(
        "demo", venue_id=venue.id, payout_id="po_123", amount_minor=5100, currency="GBP", arrival_at=arrival
    )
    move_to_past(booking, hours=3)
    booking.status = "completed"
    review = create_review(booking, customer=customer, rating=5, body="Warm stones, calm room, lovely.")
    run_jobs()
    events = {e["type"]: e["data"] for e in (json.loads(h.body) for h in receiver.hits("/ok"))}
    assert events["review.created"]["id"] == review.id and events["review.created"]["rating"] == 5
    assert events["booking.rescheduled"]["previous_starts_at"] == before.isoformat()
    assert events["booking.rescheduled"]["moved_by"] == "customer"
    assert events["payout.paid"] == {
        "id": "po_123",
        "venue_id": venue.id,
        "amount": {"amount_minor": 5100, "currency": "GBP"},
        "arrival_at": "2026-12-01T00:00:00+00:00",
    }
