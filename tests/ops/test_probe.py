"""The synthetic booking probe, for real: a node on a fresh database, the probe venue and
customer made by `flask probe setup`'s service, and `flask probe run` driving the node over
HTTP: it checks search (which hides the probe venue), books, pays on the Demo gateway's hosted
checkout although the node takes everyone else's payments through Stripe, cancels, and writes
its metrics."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.accounts.models import Role, User
from app.booking.models import Booking
from app.ops.probe import METRICS, STEPS, probe_cli
from app.ops.probe_setup import set_up_probe
from app.platform.extensions import db
from app.platform.jobs import run_pending_jobs
from app.venues.models import Venue
from search.backend import get_backend
from tests.booking.helpers import make_bookable_venue
from tests.live_nodes import free_port, fresh_database

pytestmark = [pytest.mark.slow, pytest.mark.committing]

PASSWORD = "probe-walks-the-meadow-2026"
EMAIL = "probe@example.com"
PROBE_SLUG = "cozywish-probe"
# A site in probe mode where Stripe takes every other payment; Stripe's address goes nowhere, so
# a request the probe's order made to Stripe would fail the run.
PROBE_MODE = {
    "PROBE_VENUE_SLUG": PROBE_SLUG,
    "PROBE_EMAIL": EMAIL,
    "STRIPE_SECRET_KEY": "sk_test_probe_mode",
    "STRIPE_API_BASE": "http://127.0.0.1:9",
}


@contextlib.contextmanager
def serving(app) -> Iterator[None]:
    """``app`` on its real port (BASE_URL's) in a thread, with a thread that runs its queued jobs
    as the worker would (settling a payment is a job)."""
    port = int(app.config["BASE_URL"].rsplit(":", 1)[1])
    server = make_server("127.0.0.1", port, app, threaded=True)
    stop = threading.Event()

    def work() -> None:
        while not stop.wait(0.2):
            with app.app_context():
                run_pending_jobs()
                db.session.commit()

    threads = [threading.Thread(target=server.serve_forever, daemon=True), threading.Thread(target=work, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        server.shutdown()
        for thread in threads:
            thread.join(10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def site(app):
    with fresh_database("cozywish_probe") as url:  # the session's own is in use: a template copy can't be made
        base_url = f"http://127.0.0.1:{free_port()}"
        overrides = {"SQLALCHEMY_DATABASE_URI": url, "BASE_URL": base_url, **PROBE_MODE}
        node = create_app("testing", overrides=overrides)
        with node.app_context(), node.test_request_context():
            world = set_up_probe(customer_email=EMAIL, owner_email="probe-venue@example.com", password=PASSWORD)
            again = set_up_probe(customer_email=EMAIL, owner_email="probe-venue@example.com", password=PASSWORD)
            assert again == world  # safe to run again: nothing new
            assert world.venue_slug == PROBE_SLUG
            owner = User(email="owner@example.com", name="Calm Spa Owner", role=Role.PROVIDER)
            db.session.add(owner)
            db.session.flush()
            real, _service = make_bookable_venue(owner, name="Calm Spa")  # what the probe's search finds
            get_backend().index([real.id])
            db.session.commit()
            db.session.remove()
        with serving(node):
            yield node, world, base_url


def run_probe(app, node: str, *args: str, env: dict[str, str] | None = None):
    return app.test_cli_runner().invoke(
        probe_cli,
        ["run", "--base-url", node, "--email", EMAIL, "--timeout", "15", *args],
        env=env,
        catch_exceptions=False,
    )


@pytest.fixture
def pushgateway() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A stand-in Pushgateway that keeps each PUT's path and body."""
    received: list[tuple[str, str]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            received.append((self.path, self.rfile.read(int(self.headers["Content-Length"])).decode()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    thread.join(5)


def test_the_probe_books_pays_cancels_and_writes_its_metrics(site, tmp_path):
    app, world, node = site
    textfile = tmp_path / "textfile" / "cozywish_probe.prom"
    result = run_probe(app, node, "--password", PASSWORD, "--venue-slug", world.venue_slug, "--textfile", str(textfile))
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()] == list(STEPS)

    with app.app_context():
        bookings = db.session.scalars(select(Booking).where(Booking.service_id == world.service_id)).all()
        assert [b.status for b in bookings] == ["cancelled_by_customer"]
        assert bookings[0].order.paid_at is not None  # paid before it was cancelled
        db.session.remove()

    metrics = textfile.read_text()
    for step in (*STEPS, "all"):
        assert f'cozywish_probe_success{{step="{step}"}} 1' in metrics
        assert f'cozywish_probe_duration_seconds{{step="{step}"}} ' in metrics
    assert "cozywish_probe_last_run_timestamp " in metrics
    written = {line.split("{")[0].split()[0] for line in metrics.splitlines() if not line.startswith("#")}
    assert written == set(METRICS)  # the names the alert and tests/ops/test_monitoring.py know
    assert not list(textfile.parent.glob(".probe-*"))  # written whole, then renamed

    again = run_probe(app, node, "--password", PASSWORD, "--venue-slug", world.venue_slug)
    assert again.exit_code == 0, again.output  # the next run (the CronJob, 5 minutes on) passes too


def test_a_wrong_password_fails_the_sign_in_step_says_so_and_pushes_the_failure(site, tmp_path, pushgateway):
    app, world, node = site
    gateway_url, received = pushgateway
    textfile = tmp_path / "probe.prom"
    result = run_probe(
        app,
        node,
        *("--password", "not-the-password-2026", "--venue-slug", world.venue_slug, "--textfile", str(textfile)),
        env={"PROBE_PUSHGATEWAY_URL": gateway_url},
    )
    assert result.exit_code == 1
    assert "probe failed at step sign_in" in result.output
    metrics = textfile.read_text()
    assert received == [("/metrics/job/cozywish_probe", metrics)]
    assert 'cozywish_probe_success{step="sign_in"} 0' in metrics
    assert 'cozywish_probe_success{step="all"} 0' in metrics
    assert 'step="search"' not in metrics  # steps after the failure never ran


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("nothing-is-called-this", "searching 'nothing-is-called-this' found no venue"),
        ("CozyWish Probe", "searching 'CozyWish Probe' found no venue"),  # its own venue is hidden
    ],
)
def test_a_search_that_finds_no_venue_fails_the_search_step(site, query, says):
    app, world, node = site
    result = run_probe(app, node, "--password", PASSWORD, "--venue-slug", world.venue_slug, "--query", query)
    assert result.exit_code == 1
    assert f"probe failed at step search: {says}" in result.output


def test_a_site_that_lists_the_probe_venue_fails_the_search_step(site):
    app, world, node = site
    with app.app_context():  # the venue indexed as a site without PROBE_VENUE_SLUG would have it
        slug = app.config["PROBE_VENUE_SLUG"]
        app.config["PROBE_VENUE_SLUG"] = None
        try:
            venue_id = db.session.scalar(select(Venue.id).where(Venue.slug == world.venue_slug))
            get_backend().index([venue_id])
            db.session.commit()
            result = run_probe(app, node, "--password", PASSWORD, "--venue-slug", world.venue_slug, "--query", "probe")
        finally:
            app.config["PROBE_VENUE_SLUG"] = slug
            get_backend().index([venue_id])  # hidden again
            db.session.commit()
            db.session.remove()
    assert result.exit_code == 1
    assert f"probe failed at step search: search lists the probe venue {world.venue_slug}" in result.output
