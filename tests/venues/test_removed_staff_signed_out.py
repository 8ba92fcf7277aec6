"""A staff member whose membership is gone, while a worker still trusts their session (the
window of CACHE_VERSION_TTL after removal ended it), is signed out by the provider guard and
sent to sign in, not shown a bare 403 (app/web/guards.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from app.venues.models import VenueStaff
from tests.conftest import Browser, IsolatedClient
from tests.venues.staff_world import build_world


@pytest.fixture
def world(ctx, make_user, customer):
    return build_world(make_user, customer)


def test_a_removed_member_still_holding_a_session_is_signed_out(app, world):
    receptionist = world.people["receptionist"]
    theirs = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    theirs.sign_in_as(receptionist)
    assert theirs.get("/provider/calendar").status_code == 200
    # The row removed, the session not (yet) ended: what a worker sees inside the window.
    row = db.session.scalar(select(VenueStaff).where(VenueStaff.user_id == receptionist.id))
    row.removed_at = datetime.now(UTC)
    db.session.commit()

    after = theirs.get("/provider/calendar")
    assert after.status_code == 302 and after.headers["Location"].startswith("/account/sign-in")
    page = theirs.get(after.headers["Location"]).get_data(as_text=True)
    assert "no longer on this venue" in page
    again = theirs.get("/provider/clients")  # signed out: to sign in again, no 403
    assert again.status_code == 302 and again.headers["Location"].startswith("/account/sign-in")


def test_a_member_in_another_role_still_gets_403_not_signed_out(web, world):
    web.sign_in_as(world.people["receptionist"])
    assert web.get("/provider/payouts").status_code == 403
    assert web.get("/provider/calendar").status_code == 200  # still signed in
