"""Stateless web nodes: one customer's whole journey, alternating between two app servers.

Two gunicorn servers (one worker each) on free ports share one PostgreSQL database, one
SECRET_KEY and one bucket (a real S3 API server, moto's), and nothing else: no Redis, no
shared disk (each has its own UPLOAD_ROOT and instance folder for mail). One browser
(requests.Session: one cookie jar) signs in on one node and books on the other, pays with the
Demo gateway, cancels, and a provider's photo uploaded on node A is served to a visitor of node
B. Jobs run in this process on the same database, as a worker would. Each step's result is
checked in the database or the page.
"""

from __future__ import annotations

import io
import os
import re
from html import unescape
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from app import create_app
from app.booking.models import Booking, BookingStatus, Order, OrderStatus
from app.platform.extensions import db
from app.platform.jobs import run_pending_jobs
from app.platform.storage import S3Storage, make_s3_client
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.factories import PASSWORD, UserFactory
from tests.live_nodes import fresh_database, running_nodes
from tests.platform.test_object_storage import CREDENTIALS, bucket, free_port, s3_endpoint, s3_settings  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.committing]

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def shared_database():
    with fresh_database("cozywish_nodes") as url:
        yield url


@pytest.fixture
def world(shared_database):
    """The customer, the provider and a bookable venue, committed."""
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": shared_database})
    with app.app_context(), app.test_request_context():
        customer = UserFactory(role="customer", email="guest@example.com", name="Gail Guest")
        provider = UserFactory(role="provider", email="owner@example.com", name="Olga Owner")
        venue, service = make_bookable_venue(provider)
        db.session.commit()
        found = {"venue_slug": venue.slug, "venue_id": venue.id, "service": service, "service_id": service.id}
        found["customer"], found["provider"] = customer.email, provider.email
        db.session.remove()
    return app, found


@pytest.fixture
def two_nodes(shared_database, s3_endpoint, bucket, tmp_path):  # noqa: F811
    env = {
        **os.environ,
        "COZYWISH_ENV": "development",
        "DATABASE_URL": shared_database,
        "SECRET_KEY": "two-nodes-share-only-this-secret",
        "LOG_JSON": "0",
        "MAIL_BACKEND": "file",
        "PAYOUTS_COLLECT_BEFORE_ENABLED": "true",  # the venue has no payout account (as in the tests' config)
        **{key: str(value) for key, value in s3_settings(s3_endpoint, bucket).items()},
    }
    env.pop("REDIS_URL", None)
    folders = [tmp_path / "a", tmp_path / "b"]
    envs = [
        {
            **env,
            "UPLOAD_ROOT": str(folder / "uploads"),  # each node's own disk: must stay empty
            "MAIL_FILE_PATH": str(folder / "mail"),
        }
        for folder in folders
    ]
    with running_nodes(envs, tmp_path) as urls:
        yield urls, folders


def token(browser: requests.Session, url: str) -> str:
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return CSRF_RE.search(page.text).group(1)


def run_jobs(app) -> list[str]:
    with app.app_context():
        done = run_pending_jobs()
        db.session.commit()
        db.session.remove()
    return done


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_whole_journey_alternating_between_two_nodes(world, two_nodes, s3_endpoint, bucket):  # noqa: F811
    app, found = world
    (a, b), (disk_a, disk_b) = two_nodes
    customer = requests.Session()

    # 1. Sign in: the form from node A, posted to node B (the session is a signed cookie).
    signed_in = customer.post(
        f"{b}/account/sign-in",
        data={"csrf_token": token(customer, f"{a}/account/sign-in"), "email": found["customer"], "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    assert "Gail" in customer.get(f"{a}/account/profile", timeout=30).text  # node A knows who this is

    # 2. Book: into the cart on node A, checked out on node B.
    start = future_slot(days=4)
    added = customer.post(
        f"{a}/cart/items",
        data={**cart_form(found["service"], start), "csrf_token": token(customer, f"{b}/cart")},
        allow_redirects=False,
        timeout=30,
    )
    assert added.status_code == 303, re.findall(r"(?:invalid-feedback|alert)[^>]*>([^<]+)", added.text)
    checkout = customer.post(
        f"{b}/checkout", data={"csrf_token": token(customer, f"{a}/cart")}, allow_redirects=False, timeout=30
    )
    assert checkout.status_code == 303 and "/orders/" in checkout.headers["Location"], checkout.text[:500]
    order_id = int(checkout.headers["Location"].rsplit("/", 1)[-1])

    # 3. Pay with the Demo gateway: started on A, the card entered on B, confirmed by a job.
    paying = customer.post(
        f"{a}/orders/{order_id}/pay",
        data={"csrf_token": token(customer, f"{b}/orders/{order_id}")},
        allow_redirects=False,
        timeout=30,
    )
    assert paying.status_code == 303 and "/payments/demo/" in paying.headers["Location"], paying.text[:500]
    session_path = paying.headers["Location"].split("127.0.0.1", 1)[-1].split("/", 1)[-1]
    demo_page = f"{b}/{session_path}"
    paid = customer.post(
        f"{demo_page}/pay",
        data={
            "csrf_token": token(customer, demo_page),
            "card_number": "4242 4242 4242 4242",
            "expiry": "12/34",
            "cvc": "123",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert paid.status_code == 303, paid.text[:500]
    run_jobs(app)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.PAID
        (booking,) = order.bookings
        assert booking.status == BookingStatus.CONFIRMED
        reference = booking.reference
        db.session.remove()
    assert reference in customer.get(f"{a}/bookings", timeout=30).text  # My bookings on node A

    # 4. Cancel: the quote on node A, the cancellation on node B.
    quote = customer.get(f"{a}/bookings/{reference}/cancel", timeout=30)
    assert quote.status_code == 200 and "Refund due" in unescape(quote.text)
    cancelled = customer.post(
        f"{b}/bookings/{reference}/cancel",
        data={"csrf_token": CSRF_RE.search(quote.text).group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert cancelled.status_code == 303, cancelled.text[:500]
    run_jobs(app)  # the refund
    with app.app_context():
        booking = db.session.scalars(select(Booking).where(Booking.reference == reference)).one()
        assert booking.status == BookingStatus.CANCELLED_BY_CUSTOMER
        db.session.remove()

    # 5. A photo uploaded on node A is served to a visitor of node B.
    provider = requests.Session()
    assert (
        provider.post(
            f"{a}/account/sign-in",
            data={
                "csrf_token": token(provider, f"{b}/account/sign-in"),
                "email": found["provider"],
                "password": PASSWORD,
            },
            allow_redirects=False,
            timeout=30,
        ).status_code
        == 302
    )
    uploaded = provider.post(
        f"{a}/provider/venue/images",
        data={"csrf_token": token(provider, f"{b}/provider/venue/images"), "alt_text": "The quiet room"},
        files={"photo": ("room.png", photo(), "image/png")},
        allow_redirects=False,
        timeout=60,
    )
    assert uploaded.status_code in {200, 302, 303}, uploaded.text[:500]
    visitor = requests.Session()
    page = visitor.get(f"{b}/venues/{found['venue_slug']}", timeout=30)
    assert page.status_code == 200
    sources = [unescape(src) for src in re.findall(r'<img[^>]+src="([^"]+)"', page.text)]
    in_bucket = [src for src in sources if src.startswith(f"{s3_endpoint}/{bucket}/venues/{found['venue_id']}/")]
    assert in_bucket, sources
    served = requests.get(in_bucket[0], timeout=30)
    assert served.status_code == 200 and Image.open(io.BytesIO(served.content)).format == "WEBP"
    keys = list(S3Storage(make_s3_client({**CREDENTIALS, "S3_ENDPOINT_URL": s3_endpoint}), bucket).keys())
    assert keys and all(key.startswith(f"venues/{found['venue_id']}/") for key in keys)
    # No node kept a file of its own.
    assert not [path for disk in (disk_a, disk_b) for path in (disk / "uploads").rglob("*") if path.is_file()]
