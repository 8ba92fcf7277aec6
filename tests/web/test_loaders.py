"""The shared loaders (app/web/loaders.py): the row a URL names, or a 404 for anyone else's."""

from __future__ import annotations

import pytest
from flask_login import login_user
from werkzeug.exceptions import NotFound

from app.accounts.models import Role
from app.booking.models import Booking
from app.venues.models import Service, TeamMember
from app.web.loaders import own_row, row_name, venue_row
from tests.booking.helpers import book, future_slot, make_bookable_venue


@venue_row(Service)
def edit(*, venue, service):
    return service


@venue_row(TeamMember, name="member")
def edit_member(*, venue, member):
    return member


def test_names_follow_the_model():
    assert row_name(TeamMember) == "team_member" and row_name(Service) == "service"


def test_a_venue_row_is_one_of_its_own_and_anything_else_is_a_404(ctx, provider, make_user):
    venue, service = make_bookable_venue(provider, team=1)
    _other, theirs = make_bookable_venue(make_user(role=Role.PROVIDER), name="Other Rooms")
    assert edit(venue=venue, service_id=service.id) is service
    assert edit_member(venue=venue, member_id=venue.team[0].id) is venue.team[0]
    for wrong in (theirs.id, 987654):
        with pytest.raises(NotFound):
            edit(venue=venue, service_id=wrong)


def test_an_own_row_belongs_to_the_signed_in_customer(ctx, provider, customer, make_user):
    @own_row(Booking)
    def show(*, booking):
        return booking

    _venue, service = make_bookable_venue(provider)
    mine = book(customer, service, future_slot(days=2))
    theirs = book(make_user(role=Role.CUSTOMER), service, future_slot(days=3))
    login_user(customer)
    assert show(booking_id=mine.id) is mine
    for wrong in (theirs.id, 987654):
        with pytest.raises(NotFound):
            show(booking_id=wrong)
