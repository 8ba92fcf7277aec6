"""Test-only: a request-to-book's window runs out now, then the lapse job's body runs once.

Run as ``python -m e2e.request_clock <reference>`` with the live server's environment (like
``e2e/seed.py``). Rather than wait hours, it moves the booking's deadline (``request_expires_at``)
a minute into the past, as if the clock had passed it, and calls ``lapse_requests`` - what the
``lapse-requests`` schedule runs every five minutes (app/checkout/wiring.py). The live worker
then pays the refund back and sends the email. Prints how many requests lapsed.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta


def main(reference: str) -> int:
    from sqlalchemy import select

    from app import create_app
    from app.booking.models import Booking
    from app.checkout.requests import lapse_requests
    from app.platform.extensions import db

    app = create_app()
    with app.test_request_context(base_url=app.config.get("BASE_URL") or None):
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        assert booking is not None and booking.request_state == "pending", "no pending request"
        now = datetime.now(UTC)
        booking.request_expires_at = now - timedelta(minutes=1)
        db.session.flush()
        lapsed = lapse_requests(now)
        db.session.commit()
        return lapsed


if __name__ == "__main__":
    print(main(sys.argv[1]))
