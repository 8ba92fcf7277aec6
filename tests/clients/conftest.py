"""What the front desk's tests share."""

from __future__ import annotations

import pytest

from app.platform.extensions import db
from app.venues.lists import add_team_member
from app.venues.service import save_service
from tests.booking.helpers import make_bookable_venue


@pytest.fixture
def salon(ctx, provider):
    """A venue with a massage and a facial; Bea does both, Max only the massage."""
    venue, massage = make_bookable_venue(provider)
    facial = save_service(
        venue,
        None,
        name="Facial",
        description="",
        category_id=None,
        duration_minutes=45,
        price_minor=4500,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    both = add_team_member(venue, name="Bea Both", title="", bio="", service_ids=[massage.id, facial.id])
    masseur = add_team_member(venue, name="Max Massage", title="", bio="", service_ids=[massage.id])
    db.session.commit()
    return venue, massage, facial, both, masseur
