"""Journey data for the staff journey: give each named booking to a named team member.

Run as ``python -m e2e.staff_seed '<json>'`` with the live server's environment, the JSON being
``{"slug": venue slug, "assign": {booking reference: team member name}}``. Each booking's
customer is put in the venue's client book (as paying online does). Prints
``{reference: booking id, "client:" + reference: client id}`` as JSON.
"""

from __future__ import annotations

import json
import sys


def main(spec: dict) -> dict[str, int]:
    from sqlalchemy import select

    from app import create_app
    from app.booking.models import Booking
    from app.clients.service import client_for_user
    from app.platform.extensions import db
    from app.venues.models import Venue

    app = create_app()
    with app.app_context():
        venue = db.session.scalar(select(Venue).where(Venue.slug == spec["slug"]))
        members = {m.name: m.id for m in venue.team}
        ids = {}
        for reference, member in spec["assign"].items():
            booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
            booking.team_member_id = members[member]
            booking.client_id = client_for_user(venue.id, booking.customer).id
            ids[reference] = booking.id
            ids[f"client:{reference}"] = booking.client_id
        db.session.commit()
    return ids


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
