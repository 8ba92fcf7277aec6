"""A removed staff member is refused on their next request by another process that still holds a
warm copy of their calendar (issue 42, item 2).

A real gunicorn node (another process, its private page cache and remembered sessions on, as in
production) serves the receptionist; the owner's removal is committed by this process. The node
keeps its memo of every cache version for CACHE_VERSION_TTL (5 s here; the removal and the
next request take well under that): before the fix its copy of the calendar answered 200
("X-Private-Cache: hit") with the venue's bookings; now the access check runs before any copy
is looked at.
"""

from __future__ import annotations

import os
import re
import time

import pytest
import requests

from app import create_app
from app.accounts.models import Role
from app.platform.extensions import db
from app.venues import staff
from app.venues.models import StaffRole, Venue, VenueStaff
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.factories import PASSWORD, UserFactory
from tests.live_nodes import fresh_database, running_nodes
from tests.venues.staff_world import make_staff

pytestmark = [pytest.mark.slow, pytest.mark.committing]

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def world(tmp_path):
    with fresh_database("cozywish_removed_staff") as url:
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context(), app.test_request_context():
            owner = UserFactory(role=Role.PROVIDER, name="Olive Owner")
            venue, service = make_bookable_venue(owner)
            receptionist = make_staff(lambda **kw: UserFactory(**kw), venue, StaffRole.RECEPTIONIST, name="Rita Desk")
            customer = UserFactory(role=Role.CUSTOMER, name="Chloe Customer")
            start = future_slot(days=1)
            book(customer, service, start)
            db.session.commit()
            ids = {"venue": venue.id, "owner": owner.id, "email": receptionist.email}
            ids["calendar"] = f"/provider/calendar?view=week&date={start.date().isoformat()}"
            ids["staff"] = db.session.query(VenueStaff.id).filter_by(user_id=receptionist.id).scalar()
            db.session.remove()
        env = {
            **os.environ,
            "COZYWISH_ENV": "development",
            "DATABASE_URL": url,
            "SECRET_KEY": "removed-staff-secret",
            "MAIL_BACKEND": "file",
            "MAIL_FILE_PATH": str(tmp_path / "mail"),
            "PRIVATE_PAGE_CACHE_ENABLED": "true",
            "CACHE_VERSION_TTL": "5",
        }
        env.pop("REDIS_URL", None)
        with running_nodes([env], tmp_path) as (node,):
            yield app, ids, node
        with app.app_context():
            db.engine.dispose()


def test_the_next_request_after_removal_is_refused_whatever_the_node_holds(world):
    app, ids, node = world
    desk = requests.Session()
    page = desk.get(f"{node}/account/sign-in", timeout=30)
    signed_in = desk.post(
        f"{node}/account/sign-in",
        data={"csrf_token": CSRF_RE.search(page.text).group(1), "email": ids["email"], "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    first = desk.get(f"{node}{ids['calendar']}", allow_redirects=False, timeout=30)
    assert first.status_code == 200 and "Chloe Customer" in first.text
    # Signing in marks the browser's own change for CACHE_VERSION_TTL + 1 s (read your own
    # writes): after that the node serves its copy.
    deadline = time.monotonic() + 30
    while desk.get(f"{node}{ids['calendar']}", timeout=30).headers.get("X-Private-Cache") != "hit":
        assert time.monotonic() < deadline, "the node never served a copy of the calendar"
        time.sleep(0.5)

    with app.app_context(), app.test_request_context():
        venue = db.session.get(Venue, ids["venue"])
        staff.remove(venue, ids["staff"], actor_id=ids["owner"])
        db.session.commit()
        db.session.remove()

    after = desk.get(f"{node}{ids['calendar']}", allow_redirects=False, timeout=30)
    assert after.status_code == 302, (after.status_code, after.headers.get("X-Private-Cache"))
    assert "/account/sign-in" in after.headers["Location"]
    assert "Chloe Customer" not in after.text
    again = desk.get(f"{node}{ids['calendar']}", allow_redirects=False, timeout=30)
    assert again.status_code == 302  # and stays signed out
