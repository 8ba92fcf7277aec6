"""A whole venue's calendars read at once are each service's calendar, read alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.booking.availability import get_bookable_days, get_venue_bookable_days
from app.platform.extensions import db
from app.venues.service import save_service
from tests.booking.helpers import book, future_slot, make_bookable_venue


def test_the_venue_calendar_matches_each_service_alone(ctx, provider, make_user):
    venue, massage = make_bookable_venue(provider, capacity=2, team=2)
    sauna = save_service(
        venue,
        None,
        name="Sauna",
        description="",
        category_id=None,
        duration_minutes=45,
        price_minor=2000,
        capacity=4,
        buffer_minutes=15,
        is_active=True,
    )
    db.session.flush()
    for days, hour, service in ((2, 10, massage), (2, 10, massage), (3, 11, sauna), (4, 9, massage)):
        book(make_user(), service, future_slot(days=days, hour=hour))
    now = datetime.now(UTC)
    today = now.date()
    together = get_venue_bookable_days(venue, today, 10, now=now)
    assert set(together) == {massage.id, sauna.id}
    for service in (massage, sauna):
        assert together[service.id] == get_bookable_days(service, today, 10, now=now)
    assert together[massage.id][today + timedelta(days=2)] < together[sauna.id][today + timedelta(days=2)]
