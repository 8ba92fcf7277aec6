"""/metrics: the token rules, and that driving the app moves the numbers a dashboard reads."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.booking import cart
from app.booking.errors import SlotUnavailable
from app.checkout import checkout
from app.platform import metrics
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.jobs import enqueue, job
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.ops.scraping import TOKEN, scrape, value


@pytest.fixture
def token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    return TOKEN


@job(name="tests.ops.fails")
def failing_probe(reason: str) -> None:
    raise RuntimeError(reason)


# -- who may read them ---------------------------------------------------------------------------


def test_without_a_configured_token_there_is_no_metrics_page(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer ", TOKEN],
    ids=["none", "wrong", "not-bearer", "longer", "empty", "no-scheme"],
)
def test_a_missing_or_wrong_token_is_refused(client, token, header):
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "cozywish_" not in response.get_data(as_text=True)


def test_the_token_in_a_query_string_is_not_enough(client, token):
    assert client.get(f"/metrics?token={TOKEN}").status_code == 401


# -- what they count -----------------------------------------------------------------------------


def test_requests_are_counted_by_endpoint_and_status(client, token):
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page-here")
    after = scrape(client)

    count = "cozywish_http_request_duration_seconds_count"
    ok = {"endpoint": "ops.healthz", "method": "GET", "status": "200"}
    missing = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert value(after, count, **ok) - value(before, count, **ok) == 2
    assert value(after, count, **missing) - value(before, count, **missing) == 1
    bucket = "cozywish_http_request_duration_seconds_bucket"
    assert value(after, bucket, **ok, le="+Inf") == value(after, count, **ok)
    assert value(after, "cozywish_http_request_duration_seconds_sum", **ok) > 0


def test_pages_answered_by_the_page_cache_are_counted_and_timed(client, token, page_cache):
    before = scrape(client)
    first = client.get("/")
    second = client.get("/")
    assert (first.headers.get("X-Page-Cache"), second.headers.get("X-Page-Cache")) == ("miss", "hit")
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("cozywish_page_cache_requests_total", result="miss") == 1
    assert grew("cozywish_page_cache_requests_total", result="hit") == 1
    # The hit never reached the view, yet it is a request of the home page like the other.
    home = {"endpoint": "main.index", "method": "GET", "status": "200"}
    assert grew("cozywish_http_request_duration_seconds_count", **home) == 2


def test_the_job_queue_is_read_at_scrape_time(client, token, app):
    with app.app_context():
        db.session.execute(text("DELETE FROM procrastinate_jobs WHERE queue_name = 'default'"))
        enqueue(failing_probe, reason="one")
        enqueue(failing_probe, reason="two")
        enqueue(failing_probe, schedule_in={"hours": 1}, reason="later")  # not due: not waiting
        db.session.execute(
            text(
                "UPDATE procrastinate_jobs SET scheduled_at = now() - interval '90 seconds'"
                " WHERE args->>'reason' = 'one'"
            )
        )
        db.session.commit()  # inside the test's transaction: a savepoint released
    samples = scrape(client)
    assert value(samples, "cozywish_jobs_queued", queue="default") == 2
    assert value(samples, "cozywish_jobs_oldest_age_seconds", queue="default") >= 90


def test_job_failures_are_counted(client, token, app, run_jobs):
    before = scrape(client)
    with app.app_context():
        enqueue(failing_probe, reason="boom")
        db.session.commit()
    assert run_jobs() == ["tests.ops.fails:failed"]
    after = scrape(client)
    name, labels = "cozywish_job_runs_total", {"task": "tests.ops.fails", "outcome": "failed"}
    assert value(after, name, **labels) - value(before, name, **labels) == 1


def test_the_database_pool_is_reported(client, token):
    samples = scrape(client)
    # The scrape itself holds a connection; the pool's size is the configured one.
    assert value(samples, "cozywish_db_pool_checked_out") >= 1
    assert value(samples, "cozywish_db_pool_size") >= 5


def test_checkout_outcomes_won_lost_and_declined(client, token, ctx, provider, customer, make_user):
    _venue, service = make_bookable_venue(provider)
    rival = make_user()
    start = future_slot(hour=11)
    before = scrape(client)

    with pytest.raises(ValidationFailed):
        checkout.checkout(customer)  # an empty cart
    for who in (customer, rival):
        owner = cart.CartOwner(user_id=who.id)
        cart.add_item(owner, service_id=service.id, starts_at=start, quantity=1, team_member_id=None)
    checkout.checkout(rival)
    with pytest.raises(SlotUnavailable):
        checkout.checkout(customer)  # the rival took the time first
    after = scrape(client)

    for outcome in ("won", "lost", "declined"):
        name = "cozywish_checkout_outcomes_total"
        assert value(after, name, outcome=outcome) - value(before, name, outcome=outcome) == 1, outcome


def test_search_latency_is_recorded_by_backend(client, token):
    before = scrape(client)
    assert client.get("/search?q=massage+observe").status_code == 200
    after = scrape(client)
    name = "cozywish_search_duration_seconds_count"
    assert value(after, name, backend="postgres") - value(before, name, backend="postgres") == 1


def test_notifications_are_counted_by_channel(client, token, ctx, customer):
    from app.notifications.centre import notify

    before = scrape(client)
    notify(customer, "test", "Hello", link="/")
    after = scrape(client)
    name = "cozywish_notifications_sent_total"
    assert value(after, name, channel="in_app") - value(before, name, channel="in_app") == 1


def test_webhook_lag_is_served(client, token):  # a real delivery observes it: tests/webhooks/test_delivery.py
    metrics.webhook_lag(2.0)
    samples = scrape(client)
    assert value(samples, "cozywish_webhook_delivery_lag_seconds_count", outcome="delivered") >= 1


def test_unknown_labels_are_refused_at_the_call():
    with pytest.raises(ValueError, match="checkout outcome"):
        metrics.checkout_outcome("maybe")
    with pytest.raises(ValueError, match="channel"):
        metrics.notification_sent("pigeon")
