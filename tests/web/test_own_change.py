"""Read your own writes, namespace by namespace (app/platform/cache_versions.py, ``note_own_change``):
a browser that just changed something reads fresh only what its change bumped, so a customer's
cart change never costs a statement for their remembered session, and a change to who they are
is still seen at once on a worker that has not heard of it."""

from __future__ import annotations

import time

import pytest
from flask import session

from app.accounts.models import Role
from app.platform import cache_versions
from app.platform.cache_versions import (
    OWN_CHANGE,
    OWN_CHANGED,
    OWN_CHANGED_KEPT,
    account_namespace,
    note_own_change,
    own_change_pending,
    user_namespace,
)
from app.platform.extensions import db
from tests.booking.helpers import book, cart_form, future_slot, make_bookable_venue, move_to_past
from tests.conftest import Browser

pytestmark = pytest.mark.usefixtures("as_in_production")


@pytest.fixture
def fresh_reads(monkeypatch) -> list[str]:
    """The namespaces read fresh because this browser changed them (``own_change_unread``), in order."""
    asked: list[str] = []
    unread = cache_versions.own_change_unread

    def recording(namespace):
        if found := unread(namespace):
            asked.append(namespace)
        return found

    monkeypatch.setattr(cache_versions, "own_change_unread", recording)
    return asked


def test_the_session_names_what_the_change_bumped_and_merges_a_second(app):
    with app.test_request_context("/"):
        assert not own_change_pending() and not own_change_pending("user:1")
        note_own_change({"user:1"}, 2.0)
        assert own_change_pending() and own_change_pending("user:1")
        assert not own_change_pending("account:1") and not own_change_pending("public")
        note_own_change({"venue-times:4"}, 2.0)  # a second change in the window keeps the first's
        assert session[OWN_CHANGED] == ["user:1", "venue-times:4"]
        session[OWN_CHANGE] = time.time() - 1  # the window over: nothing pending, nothing merged
        note_own_change({"public"}, 2.0)
        assert session[OWN_CHANGED] == ["public"] and not own_change_pending("user:1")


def test_a_session_marked_without_names_or_with_too_many_reads_everything_fresh(app):
    with app.test_request_context("/"):
        session[OWN_CHANGE] = time.time() + 2  # as a session marked before names were kept
        assert own_change_pending("account:1")
        note_own_change({"user:1"}, 2.0)  # merged with "any": still any
        assert OWN_CHANGED not in session and own_change_pending("account:9")
        session.clear()
        note_own_change({f"user:{n}" for n in range(OWN_CHANGED_KEPT + 1)}, 2.0)
        assert OWN_CHANGED not in session and own_change_pending("public")


def test_a_cart_change_never_reads_the_remembered_session_fresh(app, customer, make_user, fresh_reads):
    _, service = make_bookable_venue(make_user(role=Role.PROVIDER))
    db.session.commit()
    web = Browser.own(app, customer)
    assert web.get("/account/profile").status_code == 200
    assert web.post("/cart/items", cart_form(service, future_slot())).status_code == 303
    with web.client.session_transaction() as marked:
        assert user_namespace(customer.id) in marked[OWN_CHANGED]
        assert account_namespace(customer.id) not in marked[OWN_CHANGED]
    fresh_reads.clear()
    assert web.get("/account/profile").status_code == 200
    assert account_namespace(customer.id) not in fresh_reads


def test_a_change_to_who_one_is_is_read_fresh_on_a_worker_that_has_not_heard(app, customer, monkeypatch, fresh_reads):
    web = Browser.own(app, customer)
    assert web.get("/account/profile").status_code == 200
    monkeypatch.setattr(cache_versions, "forget", lambda namespace=None: None)  # as on another worker
    saved = web.post("/account/profile", data={"name": "Chloe Renamed", "phone": ""})
    assert saved.status_code == 302
    fresh_reads.clear()
    page = web.get("/account/profile")
    assert account_namespace(customer.id) in fresh_reads
    assert "Chloe Renamed" in page.get_data(as_text=True)


def test_a_review_shows_on_the_venue_page_at_once_on_a_worker_that_has_not_heard(
    app, ctx, customer, make_user, monkeypatch, page_cache, fresh_reads
):
    # The venue page a signed-in visitor sees is built from a shared copy keyed by the public
    # version: a worker that memoised the version before the review must still show it.
    _, service = make_bookable_venue(make_user(role=Role.PROVIDER))
    visit = book(customer, service, future_slot(days=2, hour=10))
    move_to_past(visit)
    db.session.commit()
    page_path = f"/venues/{service.venue.slug}"
    web = Browser.own(app, customer)
    assert "No reviews yet" in web.get(page_path).text
    monkeypatch.setattr(cache_versions, "forget", lambda namespace=None: None)  # as on another worker
    published = web.post(f"/bookings/{visit.reference}/review", {"rating": "5", "body": "Warm stones, kind hands."})
    assert published.status_code == 303
    fresh_reads.clear()
    page = web.get(page_path).text
    assert "Warm stones, kind hands." in page and "from 1 review" in page
    assert fresh_reads.count(cache_versions.PUBLIC) == 1  # once in the request, however often it is asked
