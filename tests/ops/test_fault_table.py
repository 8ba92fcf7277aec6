"""What a customer sees when a service CozyWish depends on fails (docs/operations.md's table).

PostgreSQL restarts and a worker killed with -9 are in test_worker_faults.py, Redis down in
test_redis_down.py. Here: Elasticsearch unreachable, Stripe unreachable, the mail server
refusing connections, and a full disk.
"""

from __future__ import annotations

import errno
import io
import socket
from html import unescape
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from app.booking.models import Order, OrderStatus
from app.payments.models import Payment
from app.platform.email import deliver_email
from app.platform.extensions import cache, db
from app.platform.jobs import enqueue, run_worker
from app.venues.models import VenueImage
from app.venues.service import create_venue
from search.postgres import PostgresBackend
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.payments.test_demo_payments import cart_form
from tests.search.corpus import build_corpus


def closed_port_url(scheme: str = "http") -> str:
    """An address where nothing listens: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


# -- Elasticsearch unreachable -----------------------------------------------------------------


def test_search_answers_from_postgresql_when_elasticsearch_is_unreachable(app, ctx, client, make_user, monkeypatch):
    from search import backend as search_backend

    monkeypatch.setitem(app.config, "ELASTICSEARCH_URL", closed_port_url())
    monkeypatch.setattr(search_backend, "_unavailable_until", {})
    monkeypatch.setattr(search_backend, "_checked_until", {})
    cache.clear()
    corpus = build_corpus(make_user)
    PostgresBackend().index(corpus.ids)  # what the reindex job does first, whatever Elasticsearch says

    results = client.get("/search?q=lotus")
    suggestions = client.get("/search/suggest?q=lot")

    assert results.status_code == 200
    assert "Lotus Massage Rooms" in page(results)
    assert suggestions.status_code == 200
    assert "lotus" in page(suggestions).lower()


# -- Stripe unreachable ------------------------------------------------------------------------


def test_paying_while_stripe_is_unreachable_says_so_charges_nothing_and_keeps_the_order(
    app, ctx, web, customer, provider, monkeypatch
):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_cozywish")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", closed_port_url())
    _, service = make_bookable_venue(provider)
    web.sign_in_as(customer)
    assert web.post("/cart/items", cart_form(service, future_slot())).status_code == 303
    checkout = web.post("/checkout")
    order_id = int(checkout.location.rsplit("/", 1)[-1])

    response = web.post(f"/orders/{order_id}/pay")

    assert response.status_code == 502, (response.status_code, response.location, page(response)[:3000])
    assert "Could not reach Stripe" in page(response)
    assert "try again" in page(response)
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order.status == OrderStatus.PENDING_PAYMENT  # the times stay held for a retry
    assert [b.status for b in order.bookings] == ["held"]
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0  # nothing was charged
    assert f'action="/orders/{order_id}/pay"' in page(web.get(f"/orders/{order_id}"))


# -- mail server down --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.committing
def test_an_email_the_mail_server_refuses_stays_queued_for_another_attempt(app, monkeypatch):
    """SMTP refuses the connection: the job fails, and the message is kept, not lost."""
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", int(closed_port_url().rsplit(":", 1)[1]))
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 2)
    from app.platform.extensions import mail

    mail.init_app(app)
    with app.app_context():
        db.session.execute(text("DELETE FROM procrastinate_jobs"))
        enqueue(deliver_email, to="someone@example.com", subject="Kept", text_body="t", html_body="h")
        db.session.commit()
        try:
            run_worker(app, wait=False)
            # A run that crosses a minute boundary also defers that minute's periodic jobs
            # (each domain's wiring.py): only the email's own job is looked at.
            rows = db.session.execute(
                text(
                    "SELECT status::text, attempts, args->>'to', scheduled_at > now() FROM procrastinate_jobs"
                    " WHERE task_name = 'email.deliver'"
                )
            ).all()
            assert len(rows) == 1, rows  # still there, with its message: nothing lost
            status, attempts, to, later = rows[0]
            assert to == "someone@example.com"
            # Retried at once up to email.deliver's limit, or put back for a later attempt.
            assert attempts >= 2 or (status == "todo" and later), rows
            assert status in {"todo", "failed"}, rows
        finally:
            db.session.rollback()
            db.session.execute(text("DELETE FROM procrastinate_jobs"))
            db.session.commit()
            db.session.remove()
            monkeypatch.undo()
            mail.init_app(app)
            app.extensions["mailman"].outbox = []


# -- disk full ---------------------------------------------------------------------------------


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 90)).save(out, "PNG")
    return out.getvalue()


def test_a_photo_upload_on_a_full_disk_says_so_and_leaves_no_file_or_row(app, ctx, provider, monkeypatch):
    # No tiny tmpfs can be mounted here, so the write itself is made to fail as a full disk does.
    from tests.conftest import Browser
    from tests.venues.conftest import RequestScopedClient

    web = Browser(RequestScopedClient(app, app.response_class, use_cookies=True))
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    db.session.commit()
    web.sign_in_as(provider)
    root = Path(app.config["UPLOAD_ROOT"])
    before = {p for p in root.rglob("*") if p.is_file()}
    writes = []
    real_write = Path.write_bytes

    def fill_up(path: Path, data: bytes) -> int:
        writes.append(path)
        if len(writes) == 2:  # the first size is written, the second finds the disk full
            real_write(path, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(Path, "write_bytes", fill_up)
    response = web.post(
        "/provider/venue/images",
        {"photo": (io.BytesIO(png()), "room.png"), "alt_text": "Treatment room"},
        content_type="multipart/form-data",
    )
    monkeypatch.undo()

    assert response.status_code == 507
    assert "out of storage space" in page(response)
    assert len(writes) == 2
    assert {p for p in root.rglob("*") if p.is_file()} == before  # not one size, not half a file
    db.session.expire_all()
    count = select(func.count()).select_from(VenueImage).where(VenueImage.venue_id == venue.id)
    assert db.session.scalar(count) == 0
