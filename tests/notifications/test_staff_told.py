"""Who of a venue's people is told what happens there (app/notifications/activity.venue_recipients):
the owner, the managers, and the practitioner booked; payouts the owner alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.notifications.activity import tell_venue, venue_recipients
from app.notifications.models import Notice
from app.platform.extensions import db
from app.venues.models import VenueStaff
from tests.venues.staff_world import build_world


@pytest.fixture
def world(ctx, make_user, customer):
    return build_world(make_user, customer)


def ids_of(world, *roles):
    return {world.people[role].id for role in roles}


def test_the_owner_the_managers_and_the_practitioner_booked_are_told(world):
    people = venue_recipients(world.venue, members=[world.own_booking.team_member_id])
    assert {p.id for p in people} == ids_of(world, "owner", "manager", "practitioner")


def test_a_booking_with_another_team_member_leaves_the_practitioner_out(world):
    people = venue_recipients(world.venue, members=[world.others_booking.team_member_id])
    assert {p.id for p in people} == ids_of(world, "owner", "manager")


def test_payouts_are_told_to_the_owner_alone(world):
    people = venue_recipients(world.venue, members=[world.own_booking.team_member_id], owner_only=True)
    assert {p.id for p in people} == ids_of(world, "owner")


def test_a_removed_manager_is_told_nothing(world):
    row = db.session.scalar(select(VenueStaff).where(VenueStaff.user_id == world.people["manager"].id))
    row.removed_at = datetime.now(UTC)
    db.session.flush()
    assert {p.id for p in venue_recipients(world.venue)} == ids_of(world, "owner")


def test_each_person_told_gets_one_notice(world):
    told = tell_venue(
        world.venue,
        title="New booking",
        link="/provider/calendar",
        key="test:staff-told",
        members=[world.own_booking.team_member_id],
    )
    assert {p.id for p in told} == ids_of(world, "owner", "manager", "practitioner")
    again = tell_venue(world.venue, title="New booking", link="/provider/calendar", key="test:staff-told", members=[])
    assert again == []  # told before: the key makes it once
    owners = db.session.scalars(select(Notice.user_id).where(Notice.key == "test:staff-told")).all()
    assert sorted(owners) == sorted(ids_of(world, "owner", "manager", "practitioner"))
