"""The admin users list filters venue staff logins (Role.STAFF) like the other roles."""

from __future__ import annotations

from app.venues.models import StaffRole
from tests.accounts.conftest import text_of
from tests.booking.helpers import make_bookable_venue
from tests.venues.staff_world import make_staff


def test_admin_filters_venue_staff(web, ctx, make_user, customer, provider, admin):
    venue, _service = make_bookable_venue(provider)
    receptionist = make_staff(make_user, venue, StaffRole.RECEPTIONIST)
    web.sign_in_as(admin)
    page = text_of(web.get("/admin/users"))
    assert '<option value="staff"' in page and "Venue staff" in page
    response = web.get("/admin/users", query_string={"role": "staff"})
    assert response.status_code == 200
    page = text_of(response)
    assert receptionist.email in page and "1 user<" in page
    assert customer.email not in page and provider.email not in page
    assert "venue staff" in page  # the role column names it


def test_an_unknown_role_is_still_refused(web, admin):
    web.sign_in_as(admin)
    response = web.get("/admin/users", query_string={"role": "staffer"})
    assert response.status_code == 400 and "Unknown role filter" in text_of(response)
