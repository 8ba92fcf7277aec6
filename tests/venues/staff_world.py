"""A venue with an owner and one staff login per role, and the rows provider routes reach, for
the staff tests (tests/venues/test_staff*.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.accounts.models import Role, User
from app.booking.models import Booking
from app.booking.time_blocks import add_time_block
from app.platform.extensions import db
from app.venues.models import FAQ, Closure, Resource, StaffRole, Venue, VenueStaff
from tests.booking.helpers import book, future_slot, make_bookable_venue


def make_staff(make_user, venue: Venue, role: str, *, member_id: int | None = None, name: str = "") -> User:
    """A staff member who has accepted their invitation (the tests of inviting make theirs by link)."""
    user = make_user(role=Role.STAFF, name=name or f"{role.title()} Person")
    db.session.add(
        VenueStaff(
            venue_id=venue.id,
            user_id=user.id,
            email=user.email,
            role=role,
            team_member_id=member_id,
            invited_by=venue.owner_id,
            accepted_at=datetime.now(UTC),
        )
    )
    db.session.flush()
    return user


@dataclass
class StaffWorld:
    venue: Venue
    people: dict[str, User]  # "owner", "manager", "receptionist", "practitioner", "other_owner"
    ids: dict[str, str] = field(default_factory=dict)  # URL arguments naming this venue's rows
    own_booking: Booking | None = None  # the practitioner's
    others_booking: Booking | None = None  # another team member's


def build_world(make_user, customer) -> StaffWorld:
    owner = make_user(role=Role.PROVIDER, name="Olive Owner")
    venue, service = make_bookable_venue(owner, team=2)
    first, second = venue.team[0], venue.team[1]
    people = {
        "owner": owner,
        "manager": make_staff(make_user, venue, StaffRole.MANAGER),
        "receptionist": make_staff(make_user, venue, StaffRole.RECEPTIONIST),
        "practitioner": make_staff(make_user, venue, StaffRole.PRACTITIONER, member_id=first.id),
    }
    other_owner = make_user(role=Role.PROVIDER, name="Otto Otherowner")
    make_bookable_venue(other_owner, team=1, name="Other Rooms")
    people["other_owner"] = other_owner

    own_booking = book(customer, service, future_slot(days=3, hour=10), team_member_id=first.id)
    others_booking = book(customer, service, future_slot(days=3, hour=12), team_member_id=second.id)
    faq = FAQ(venue_id=venue.id, question="Parking?", answer="Yes, behind.", position=0)
    today = datetime.now(UTC).date()
    closure = Closure(venue_id=venue.id, starts_on=today + timedelta(days=40), ends_on=today + timedelta(days=41))
    room = Resource(venue_id=venue.id, name="Treatment room", quantity=2, position=0)
    db.session.add_all([faq, closure, room])
    start = future_slot(days=5, hour=9)
    block = add_time_block(venue, member_id=None, starts_at=start, ends_at=start + timedelta(hours=1), reason="")
    staff_row = db.session.query(VenueStaff).filter_by(user_id=people["receptionist"].id).one()
    db.session.flush()
    ids = {
        "booking_id": own_booking.id,
        "member_id": first.id,
        "service_id": service.id,
        "item_id": service.id,
        # The lists' routes share ``<item_id>``: each names a row of its own list (another
        # venue's row of the same id would be that venue's own, and rightly found).
        "item_id:team": first.id,
        "item_id:faqs": faq.id,
        "item_id:images": 987654,
        "faq_id": faq.id,
        "resource_id": room.id,
        "closure_id": closure.id,
        "block_id": block.id,
        "staff_id": staff_row.id,
        "image_id": 987654,  # no image: allowed roles get 404, forbidden ones 403 before any lookup
        "code_id": 987654,
        "time_off_id": 987654,
        "client_id": 987654,
        "question_id": 987654,
        "message_id": 987654,
        "review_id": 987654,
        "endpoint_id": 987654,  # webhooks: tests/webhooks check another venue's real rows
        "delivery_id": 987654,
        "package_id": 987654,  # packages: tests/packages check another venue's real rows
        "plan_id": 987654,  # memberships: tests/memberships check another venue's real rows
        "holding_id": 987654,
        "document_id": 987654,  # invoicing: tests/invoicing check another venue's real documents
        "day": (today + timedelta(days=4)).isoformat(),
        "direction": "up",
    }
    return StaffWorld(
        venue, people, {k: str(v) for k, v in ids.items()}, own_booking=own_booking, others_booking=others_booking
    )
