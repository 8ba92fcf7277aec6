from sqlalchemy.exc import IntegrityError

from app.platform.errors import Conflict, ValidationFailed


class SlotUnavailable(Conflict):
    """The time is no longer free (someone else took it, or it closed)."""


class CartItemInvalid(ValidationFailed):
    pass


# The exclusion constraint that keeps a team member out of two live bookings at once
# (migration 0004): its name is written here only.
MEMBER_OVERLAP_CONSTRAINT = "ex_bookings_team_member_overlap"


def is_member_overlap(exc: IntegrityError) -> bool:
    """Whether the database refused a write because a team member would be booked twice."""
    return MEMBER_OVERLAP_CONSTRAINT in str(exc.orig)
