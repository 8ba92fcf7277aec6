"""Rows a warm worker remembers (app/platform/remembered.py): a venue owner's or staff login's venue
(app/web/guards.py) and the signed-in session (app/accounts/sessions.py; more in
test_private_pages.py); a staff login's membership is not remembered. A repeat read sends no
statement for them; a change to what they cover is seen on the next request; a request that
changes something reads them fresh."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import sessions
from app.accounts.models import Role
from app.platform import cache_versions
from app.platform.extensions import db
from app.venues.models import StaffRole, VenueStaff
from app.web import guards
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.conftest import Browser
from tests.statements import statements_sent
from tests.venues.staff_world import make_staff

OWNER_QUERY = "venues.owner_id ="
STAFF_QUERY = "FROM venue_staff"
SESSION_QUERY = "JOIN user_sessions"


@pytest.fixture(autouse=True)
def remembering(app, monkeypatch):
    """Versions memoised as in production (tests turn it off), every memory empty."""
    monkeypatch.setitem(app.config, "CACHE_VERSION_TTL", 60)
    memories = (guards.ACCESS, sessions.REMEMBERED)
    with app.app_context():
        cache_versions.forget()
        for memory in memories:
            memory.forget()
    yield
    with app.app_context():
        cache_versions.forget()
        for memory in memories:
            memory.forget()


@pytest.fixture
def venue(ctx, make_user):
    found, _ = make_bookable_venue(make_user(role=Role.PROVIDER, name="Rhea Owner"), name="Quince Rooms")
    db.session.commit()
    return found


def warm_desk(app, venue, make_user):
    """A receptionist of the venue, signed in, their calendar read once (the worker is warm)."""
    receptionist = make_staff(make_user, venue, StaffRole.RECEPTIONIST)
    db.session.commit()
    web = Browser.own(app, receptionist)
    assert web.get("/provider/calendar").status_code == 200
    return web, receptionist


def sent_matching(sent: list[str], fragment: str) -> int:
    return sum(1 for statement in sent if fragment in statement)


def test_a_warm_worker_knows_the_owners_venue_without_a_statement(app, venue):
    web = Browser.own(app, venue.owner)
    assert web.get("/provider/calendar").status_code == 200
    with statements_sent() as sent:
        assert web.get("/provider/calendar").status_code == 200
    assert sent_matching(sent, OWNER_QUERY) == 0


def test_a_change_to_the_venue_is_seen_on_the_next_page(app, venue):
    web = Browser.own(app, venue.owner)
    assert web.get("/provider/venue/basics").status_code == 200
    venue.name = "Quince Rooms Renamed"
    db.session.commit()  # bumps "public": this worker's memo forgets it at once
    page = web.get("/provider/venue/basics").get_data(as_text=True)
    assert "Quince Rooms Renamed" in page


def test_a_request_that_changes_something_reads_the_venue_fresh(app, venue):
    web = Browser.own(app, venue.owner)
    assert web.get("/provider/calendar").status_code == 200
    with statements_sent() as sent:
        web.post("/provider/venue/basics", {})  # refused for its empty fields: the check ran all the same
    assert sent_matching(sent, OWNER_QUERY) == 1


def test_a_staff_logins_membership_is_read_on_every_request(app, venue, make_user):
    """Not remembered: the owner's change of a member's role, or their removal, applies to the
    very next request on every worker (tests/venues/test_removed_staff_elsewhere.py)."""
    web, receptionist = warm_desk(app, venue, make_user)
    with statements_sent() as sent:
        assert web.get("/provider/venue/services").status_code == 403
    assert sent_matching(sent, STAFF_QUERY) == 1

    row = db.session.scalar(select(VenueStaff).where(VenueStaff.user_id == receptionist.id))
    row.role = StaffRole.MANAGER
    db.session.commit()
    assert web.get("/provider/venue/services").status_code == 200


def test_a_customers_own_cart_change_keeps_their_session_remembered(app, venue, customer):
    """Adding to the cart bumps the customer's pages ("user:<id>"), not who they are
    ("account:<id>"): the next page reads the version afresh (their own change) and still uses
    the remembered session rather than loading it again."""
    web = Browser.own(app, customer)
    assert web.get("/bookings").status_code == 200
    service = venue.services[0]
    assert web.post("/cart/items", cart_form(service, future_slot())).status_code == 303
    with statements_sent() as sent:
        assert "1" in web.get("/cart").get_data(as_text=True)
    assert sent_matching(sent, SESSION_QUERY) == 0


def test_a_session_ended_elsewhere_is_refused_at_once(app, venue, customer):
    web = Browser.own(app, customer)
    assert web.get("/bookings").status_code == 200
    sessions.end_all_sessions(customer, reason="test")
    db.session.commit()
    assert web.get("/bookings").status_code == 302  # to sign in: the remembered copy is not used


def test_a_staff_logins_venue_comes_from_the_workers_memory_beside_their_membership(app, venue, make_user):
    """The membership's three columns are read on every request; its venue row, as an owner's, is
    remembered (a change to any venue bumps "public")."""
    web, _ = warm_desk(app, venue, make_user)
    with statements_sent() as sent:
        assert web.get("/provider/calendar").status_code == 200
    (membership,) = [statement for statement in sent if STAFF_QUERY in statement]
    assert "JOIN venues" not in membership  # the venue is not loaded with it
    assert not [statement for statement in sent if "FROM venues" in statement and "venues.id =" in statement]

    venue.name = "Quince Rooms Renamed"
    db.session.commit()
    assert "Quince Rooms Renamed" in web.get("/provider/calendar").get_data(as_text=True)
