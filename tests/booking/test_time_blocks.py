"""Time blocks refuse a team member of another venue in the service itself (the form's choices
refuse it first), as a domain error the error handler turns into a 404, and save nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.booking.models import TimeBlock
from app.booking.time_blocks import add_time_block
from app.ops.errors import http_status
from app.platform.errors import NotFound
from app.platform.extensions import db
from tests.booking.helpers import future_slot, make_bookable_venue


def test_a_member_of_another_venue_is_refused_and_nothing_is_saved(ctx, make_user):
    venue, _service = make_bookable_venue(make_user(role=Role.PROVIDER), team=1)
    other, _ = make_bookable_venue(make_user(role=Role.PROVIDER), team=1, name="Other Rooms")
    start = future_slot(days=3)
    with pytest.raises(NotFound, match="doesn't work at this venue") as refused:
        add_time_block(
            venue, member_id=other.team[0].id, starts_at=start, ends_at=start + timedelta(hours=1), reason=""
        )
    assert http_status(refused.value) == 404
    assert db.session.scalar(select(func.count()).select_from(TimeBlock)) == 0
