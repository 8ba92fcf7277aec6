"""Signed-in pages from the private page cache (app/web/private_cache.py) and remembered sessions
(app/accounts/sessions.py): a repeat visit sends no SQL at all, every change the page shows is
there on the next visit, a copy belongs to one browser session only, and a session that ended
is refused at once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.models import Role
from app.accounts.sessions import end_all_sessions
from app.booking import lifecycle
from app.booking.time_blocks import add_time_block
from app.platform import cache_versions
from app.platform.extensions import db
from app.venues.models import VenueStatus
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.conftest import Browser, IsolatedClient
from tests.statements import statements_sent

pytestmark = pytest.mark.usefixtures("private_pages")


def browser(app) -> Browser:
    return Browser(IsolatedClient(app, app.response_class, use_cookies=True))


def signed_in(app, user) -> Browser:
    """A browser signed in as ``user`` that has landed on a page (its session holds a CSRF secret)."""
    web = browser(app)
    web.sign_in_as(user)
    assert web.get("/account/profile").status_code == 200
    return web


@pytest.fixture
def booked(venue_and_service, customer):
    _, service = venue_and_service
    booking = book(customer, service, future_slot())
    db.session.commit()
    return booking


def test_a_repeat_visit_to_my_bookings_sends_no_sql(app, customer, booked):
    web = signed_in(app, customer)
    first = web.get("/bookings")
    assert first.status_code == 200 and first.headers["X-Private-Cache"] == "miss"
    with statements_sent(savepoints=True) as sql:
        again = web.get("/bookings")
    assert again.headers["X-Private-Cache"] == "hit"
    assert sql == []
    assert again.get_data() == first.get_data()
    assert again.headers["Cache-Control"] == "private, no-store"  # still never kept by a shared cache
    assert booked.reference in again.get_data(as_text=True)


def test_a_cancellation_by_the_venue_shows_on_the_next_visit(app, customer, booked, venue_and_service):
    venue, _ = venue_and_service
    web = signed_in(app, customer)
    web.get("/bookings")
    assert booked.reference in web.get("/bookings").get_data(as_text=True)
    lifecycle.cancel_by_venue(booked, actor=venue.owner, reason="Flooded")
    db.session.commit()
    after = web.get("/bookings")
    assert after.headers["X-Private-Cache"] == "miss"
    assert booked.reference not in after.get_data(as_text=True)  # no longer upcoming
    assert booked.reference in web.get("/bookings?tab=past").get_data(as_text=True)


def test_each_user_and_each_browser_session_gets_only_its_own_copy(app, customer, make_user, booked):
    other = make_user(role=Role.CUSTOMER, name="Omar Other")
    mine, theirs, my_phone = signed_in(app, customer), signed_in(app, other), signed_in(app, customer)
    mine.get("/bookings")
    assert mine.get("/bookings").headers["X-Private-Cache"] == "hit"
    for visitor in (theirs, my_phone):
        first = visitor.get("/bookings")
        assert first.headers["X-Private-Cache"] == "miss"  # never another session's copy
    theirs_text = theirs.get("/bookings").get_data(as_text=True)
    assert "Omar" in theirs_text and "Chloe" not in theirs_text and booked.reference not in theirs_text
    token = 'name="csrf-token" content="'
    mine_text, phone_text = (
        mine.get("/bookings").get_data(as_text=True),
        my_phone.get("/bookings").get_data(as_text=True),
    )
    assert mine_text.split(token)[1].split('"')[0] != phone_text.split(token)[1].split('"')[0]


def test_a_signed_out_session_never_gets_the_copy(app, customer, booked):
    web = signed_in(app, customer)
    web.get("/bookings")
    assert web.get("/bookings").headers["X-Private-Cache"] == "hit"
    with web.client.session_transaction() as session:
        cookie_session = dict(session)
    end_all_sessions(customer, reason="signed out everywhere")
    db.session.commit()
    refused = web.get("/bookings")
    assert refused.status_code == 302 and "/account/sign-in" in refused.headers["Location"]
    replay = browser(app)  # the old cookie, replayed
    with replay.client.session_transaction() as session:
        session.update(cookie_session)
    assert replay.get("/bookings").status_code == 302


def test_a_password_change_ends_a_remembered_session(app, customer, booked):
    web = signed_in(app, customer)
    web.get("/bookings")
    customer.set_password("a-brand-new-password-2026")
    db.session.commit()
    assert web.get("/bookings").status_code == 302


def test_a_waiting_message_is_shown_by_a_fresh_render(app, customer, booked):
    web = signed_in(app, customer)
    web.get("/bookings")
    with web.client.session_transaction() as session:
        session["_flashes"] = [("success", "Your review is saved.")]
    shown = web.get("/bookings")
    assert "X-Private-Cache" not in shown.headers
    assert "Your review is saved." in shown.get_data(as_text=True)
    assert "Your review is saved." not in web.get("/bookings").get_data(as_text=True)


def test_the_order_page_copy_ends_with_the_hold(app, customer, venue_and_service):
    _, service = venue_and_service
    held = book(customer, service, future_slot(), confirm=False)
    web = signed_in(app, customer)
    ends = datetime.now(UTC) + timedelta(seconds=5)
    held.order.hold_expires_at = ends
    db.session.commit()
    path = f"/orders/{held.order_id}"
    assert web.get(path).headers["X-Private-Cache"] == "miss"
    assert web.get(path).headers["X-Private-Cache"] == "hit"
    time.sleep(max((ends - datetime.now(UTC)).total_seconds(), 0) + 0.1)
    after = web.get(path)
    assert after.status_code == 200 and "X-Private-Cache" not in after.headers  # rendered, and not kept


def test_someone_elses_order_is_a_404_however_often_it_is_asked(app, customer, make_user, venue_and_service):
    _, service = venue_and_service
    order_id = book(customer, service, future_slot()).order_id
    db.session.commit()
    owner, stranger = signed_in(app, customer), signed_in(app, make_user(role=Role.CUSTOMER))
    owner.get(f"/orders/{order_id}")
    assert owner.get(f"/orders/{order_id}").headers["X-Private-Cache"] == "hit"
    for _ in range(2):
        assert stranger.get(f"/orders/{order_id}").status_code == 404


def test_the_cart_follows_other_customers_bookings_at_its_venues(app, customer, make_user, venue_and_service):
    _, service = venue_and_service
    start = future_slot()
    web = signed_in(app, customer)
    from app.booking.cart import CartOwner, add_item

    add_item(CartOwner(user_id=customer.id), service_id=service.id, starts_at=start, quantity=1, team_member_id=None)
    db.session.commit()
    web.get("/cart")
    clean = web.get("/cart")
    assert clean.headers["X-Private-Cache"] == "hit"
    book(make_user(role=Role.CUSTOMER), service, start)  # capacity 1: the item's time is gone
    db.session.commit()
    after = web.get("/cart")
    assert after.headers["X-Private-Cache"] == "miss"
    assert after.get_data() != clean.get_data()


def test_the_provider_calendar_shows_a_new_booking_and_a_block(app, customer, venue_and_service):
    venue, service = venue_and_service
    start = future_slot(days=1)
    web = signed_in(app, venue.owner)
    path = f"/provider/calendar?view=week&date={start.date().isoformat()}"
    web.get(path)
    assert web.get(path).headers["X-Private-Cache"] == "hit"
    book(customer, service, start)
    db.session.commit()
    after = web.get(path)
    assert after.headers["X-Private-Cache"] == "miss" and "Chloe Customer" in after.get_data(as_text=True)
    add_time_block(
        venue,
        member_id=None,
        starts_at=start + timedelta(hours=3),
        ends_at=start + timedelta(hours=4),
        reason="Deep clean",
    )
    db.session.commit()
    assert "Deep clean" in web.get(path).get_data(as_text=True)


def test_the_provider_calendar_shows_a_clients_new_notes(app, customer, venue_and_service):
    """A card flags the client's notes (issue 45, item 2): writing them is a change to the calendar."""
    venue, service = venue_and_service
    start = future_slot(days=1)
    booking = book(customer, service, start)
    db.session.commit()
    web = signed_in(app, venue.owner)
    path = f"/provider/calendar?view=week&date={start.date().isoformat()}"
    web.get(path)
    before = web.get(path)
    assert before.headers["X-Private-Cache"] == "hit" and 'data-flag="notes"' not in before.get_data(as_text=True)
    booking.client.notes = "Prefers a firm pressure."
    db.session.commit()
    after = web.get(path)
    assert after.headers["X-Private-Cache"] == "miss" and 'data-flag="notes"' in after.get_data(as_text=True)


def test_another_provider_never_reaches_the_calendar_copy(app, venue_and_service, make_user):
    venue, _ = venue_and_service
    owner, customer_browser = signed_in(app, venue.owner), browser(app)
    owner.get("/provider/calendar")
    assert owner.get("/provider/calendar").headers["X-Private-Cache"] == "hit"
    customer_browser.sign_in_as(make_user(role=Role.CUSTOMER))
    assert customer_browser.get("/provider/calendar").status_code == 403


def test_the_admin_queue_shows_a_new_submission(app, admin, make_user):
    web = signed_in(app, admin)
    web.get("/admin/venues")
    assert web.get("/admin/venues").headers["X-Private-Cache"] == "hit"
    venue, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Freshly Submitted Spa")
    venue.status, venue.submitted_at = VenueStatus.PENDING_REVIEW, datetime.now(UTC)
    db.session.commit()
    after = web.get("/admin/venues")
    assert after.headers["X-Private-Cache"] == "miss" and "Freshly Submitted Spa" in after.get_data(as_text=True)


def test_signing_out_through_the_form_ends_a_remembered_session(app, customer, booked):
    web = signed_in(app, customer)
    web.get("/bookings")
    assert web.get("/bookings").headers["X-Private-Cache"] == "hit"  # the session is remembered
    with web.client.session_transaction() as session:
        old_cookie = dict(session)
    assert web.post("/account/sign-out").status_code in (302, 303)
    replay = browser(app)
    with replay.client.session_transaction() as session:
        session.update(old_cookie)
    refused = replay.get("/bookings")
    assert refused.status_code == 302 and "/account/sign-in" in refused.headers["Location"]


def test_a_customers_own_change_shows_next_even_on_a_worker_that_has_not_heard_of_it(
    app, customer, booked, monkeypatch
):
    """Another worker keeps its memo of the version for up to CACHE_VERSION_TTL: the browser
    that made the change is marked, so its next pages are rendered fresh wherever they land."""
    web = signed_in(app, customer)
    web.get("/bookings")
    assert web.get("/bookings").headers["X-Private-Cache"] == "hit"
    monkeypatch.setattr(cache_versions, "forget", lambda namespace=None: None)  # as on another worker
    cancelled = web.post(f"/bookings/{booked.reference}/cancel")
    assert cancelled.status_code == 303
    assert web.get(cancelled.headers["Location"]).status_code == 200  # shows "Cancelled." (the flash)
    after = web.get("/bookings")
    assert "X-Private-Cache" not in after.headers
    assert booked.reference not in after.get_data(as_text=True)


def test_a_change_of_language_never_serves_the_page_in_the_old_one(app, customer, booked):
    web = signed_in(app, customer)
    english = web.get("/bookings")
    assert "Privacy" in english.get_data(as_text=True)
    assert web.get("/bookings").headers["X-Private-Cache"] == "hit"
    web.client.set_cookie("lang", "es")
    spanish = web.get("/bookings")
    assert spanish.headers["X-Private-Cache"] == "miss"
    page = spanish.get_data(as_text=True)
    assert "Privacidad" in page and "Privacy" not in page
    web.client.set_cookie("lang", "en")
    assert "Privacy" in web.get("/bookings").get_data(as_text=True)
