"""The front desk's Today page (/provider/today): the day's agenda, arrivals due, takings so far
(owners and managers), what is waiting (unread messages, requests) and the week against last
week. What it reads and shows: app/web/today_page.py."""

from __future__ import annotations

from datetime import UTC, datetime

from werkzeug.wrappers import Response

from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import EVERYONE, OWNER_AND_MANAGER, acting_member_scope, acting_role, venue_required
from app.web.rendering import render_page
from app.web.today_page import today_page


@bp.get("/today")
@venue_required(roles=EVERYONE)  # a practitioner's own bookings only; takings for owners and managers
def today(venue: Venue) -> Response:
    own_member = acting_member_scope()  # a practitioner's: their calendar sync is linked here
    page = today_page(
        venue, now=datetime.now(UTC), member_id=own_member, sees_takings=acting_role() in OWNER_AND_MANAGER
    )
    return render_page("booking/today.html", venue=venue, own_member=own_member, **page)
