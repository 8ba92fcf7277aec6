"""A signed-in page's private copy served before the user is loaded (app/web/private_cache.py,
``serve_early``), and every case where the full way must run instead: a staff login, an idle
session, a visit to note, a saved language, an account that changed."""

from __future__ import annotations

from datetime import UTC, datetime

import brotli
import pytest

from app.accounts.models import Role
from app.platform.extensions import db
from app.venues.models import VenueStaff
from app.web.guards import RECEPTIONIST
from tests.booking.helpers import book, future_slot
from tests.conftest import Browser
from tests.statements import statements_sent
from tests.venues.staff_world import make_staff
from tests.web.test_private_pages import signed_in

pytestmark = pytest.mark.usefixtures("private_pages")


@pytest.fixture
def loads(app, monkeypatch) -> list[str]:
    """The identities the session's user loader was asked for, request by request."""
    asked: list[str] = []
    loader = app.login_manager._user_callback

    def counting(identity: str):
        asked.append(identity)
        return loader(identity)

    monkeypatch.setattr(app.login_manager, "_user_callback", counting)
    return asked


def set_last_seen(web: Browser, seconds_ago: float) -> None:
    with web.client.session_transaction() as session:
        session["last_seen"] = datetime.now(UTC).timestamp() - seconds_ago


def test_a_customers_copy_is_served_before_the_user_is_loaded(app, customer, venue_and_service, loads):
    _, service = venue_and_service
    booking = book(customer, service, future_slot())
    db.session.commit()
    web = signed_in(app, customer)
    first = web.get("/bookings")
    assert first.headers["X-Private-Cache"] == "miss"
    loads.clear()
    with statements_sent(savepoints=True) as sql:
        again = web.get("/bookings")
    assert again.headers["X-Private-Cache"] == "hit" and again.get_data() == first.get_data()
    assert loads == [] and sql == []  # no user, no session row, no statement
    assert "Set-Cookie" not in again.headers  # nothing to write back
    assert again.headers["Cache-Control"] == "private, no-store"
    assert again.headers["X-Request-ID"] and "Content-Security-Policy" in again.headers  # the after hooks ran
    assert booking.reference in again.get_data(as_text=True)


def test_the_cart_and_the_owners_calendar_are_served_early_too(app, customer, venue_and_service, loads):
    venue, service = venue_and_service
    start = future_slot(days=1)
    book(customer, service, start)
    db.session.commit()
    owner = signed_in(app, venue.owner)
    path = f"/provider/calendar?view=week&date={start.date().isoformat()}"
    owner.get(path)
    web = signed_in(app, customer)
    web.get("/cart")
    loads.clear()
    assert owner.get(path).headers["X-Private-Cache"] == "hit"
    assert web.get("/cart").headers["X-Private-Cache"] == "hit"
    assert loads == []


def test_a_copy_goes_out_in_the_brotli_form_made_when_it_was_stored(app, venue_and_service, monkeypatch):
    """A browser's week calendar: compressed once, on the miss that stored it; each hit sends that
    form as it is. A client that takes no Brotli gets the page itself."""
    venue, service = venue_and_service
    start = future_slot(days=1)
    book(venue.owner, service, start)
    db.session.commit()
    sizes: list[int] = []
    compress = brotli.compress
    monkeypatch.setattr(brotli, "compress", lambda data, *a, **kw: sizes.append(len(data)) or compress(data, *a, **kw))
    owner = signed_in(app, venue.owner)
    path = f"/provider/calendar?view=week&date={start.date().isoformat()}"
    browser = {"Accept-Encoding": "gzip, deflate, br"}
    sizes.clear()
    first = owner.get(path, headers=browser)
    assert (first.headers["X-Private-Cache"], first.headers["Content-Encoding"]) == ("miss", "br")
    assert len(sizes) == 1
    sizes.clear()
    hits = [owner.get(path, headers=browser) for _ in range(3)]
    plain = owner.get(path, headers={"Accept-Encoding": "identity"})

    assert sizes == []
    for hit in hits:
        assert (hit.headers["X-Private-Cache"], hit.headers["Content-Encoding"]) == ("hit", "br")
        assert hit.get_data() == first.get_data()
        assert "Accept-Encoding" in hit.headers["Vary"]
    assert plain.headers["X-Private-Cache"] == "hit" and "Content-Encoding" not in plain.headers
    assert brotli.decompress(first.get_data()) == plain.get_data()
    assert b"cal-booking" in plain.get_data()


def test_a_staff_logins_copy_waits_for_the_membership_check(app, make_user, venue_and_service, loads):
    venue, _ = venue_and_service
    receptionist = make_staff(make_user, venue, RECEPTIONIST)
    db.session.commit()
    web = signed_in(app, receptionist)
    web.get("/provider/calendar")
    loads.clear()
    hit = web.get("/provider/calendar")
    assert hit.headers["X-Private-Cache"] == "hit" and loads == [receptionist.get_id()]  # the full way
    db.session.delete(db.session.query(VenueStaff).filter_by(user_id=receptionist.id).one())
    db.session.commit()
    refused = web.get("/provider/calendar")
    assert refused.status_code in (302, 403) and "X-Private-Cache" not in refused.headers


def test_an_idle_session_is_signed_out_though_its_copy_is_kept(app, customer, loads):
    web = signed_in(app, customer)
    web.get("/bookings")
    assert web.get("/bookings").headers["X-Private-Cache"] == "hit"
    set_last_seen(web, app.config["IDLE_TIMEOUT"].total_seconds() + 60)
    refused = web.get("/bookings")
    assert refused.status_code == 302 and "/account/sign-in" in refused.headers["Location"]
    assert web.get("/bookings").status_code == 302  # and stays signed out


def test_a_visit_to_note_goes_the_full_way_once_then_early_again(app, customer, loads):
    web = signed_in(app, customer)
    web.get("/bookings")
    set_last_seen(web, 90)  # past LAST_SEEN_EVERY: the idle check rewrites the cookie
    loads.clear()
    noted = web.get("/bookings")
    assert noted.headers["X-Private-Cache"] == "hit" and loads and "Set-Cookie" in noted.headers
    loads.clear()
    assert web.get("/bookings").headers["X-Private-Cache"] == "hit" and loads == []


def test_a_saved_language_is_never_answered_in_the_browsers(app, customer, loads):
    customer.language = "es"
    db.session.commit()
    web = signed_in(app, customer)
    first = web.get("/bookings", headers={"Accept-Language": "en"})
    assert "Privacidad" in first.get_data(as_text=True)
    loads.clear()
    again = web.get("/bookings", headers={"Accept-Language": "en"})
    assert again.headers["X-Private-Cache"] == "hit" and loads  # the full way: the saved language needs the user
    assert "Privacidad" in again.get_data(as_text=True) and "Privacy" not in again.get_data(as_text=True)


def test_an_admin_no_longer_is_refused_before_any_copy(app, admin, loads):
    """The approval queue follows "public" only; its early copy also follows the account."""
    web = signed_in(app, admin)
    web.get("/admin/venues")
    assert web.get("/admin/venues").headers["X-Private-Cache"] == "hit"
    admin.role = Role.CUSTOMER  # what decides the pages one may open lives on the user row
    db.session.commit()
    loads.clear()
    after = web.get("/admin/venues")
    assert loads == [admin.get_id()] and after.status_code in (302, 403)
    assert "X-Private-Cache" not in after.headers


def test_an_anonymous_cart_is_never_served_early(app, client, venue_and_service):
    assert client.get("/cart").status_code == 200
    assert "X-Private-Cache" not in client.get("/cart").headers
