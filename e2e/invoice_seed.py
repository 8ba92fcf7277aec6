"""Journey data for the invoices page: move a venue's paid orders into last month.

Run as ``python -m e2e.invoice_seed '<json>'`` with the live server's environment, the JSON being
``{"slug": venue slug}``. Waits until the job worker has written each paid order's transfer to the
venue (the payouts ledger the documents read, docs/invoices.md), then sets every paid order's
``paid_at`` to the 10th of last month in the venue's time zone, so ``flask invoices issue --month``
finds that month's bookings. Prints ``{"month": "YYYY-MM", "orders": n}`` as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

TRANSFER_WAIT = 30.0  # seconds: the worker writes the transfer after settling the payment


def main(spec: dict) -> dict:
    from sqlalchemy import func, select

    from app import create_app
    from app.booking.models import Booking, Order
    from app.payouts.models import VenueTransfer
    from app.platform.extensions import db
    from app.venues.models import Venue

    app = create_app()
    with app.app_context():
        venue = db.session.scalar(select(Venue).where(Venue.slug == spec["slug"]))
        order_ids = set(
            db.session.scalars(
                select(Order.id)
                .join(Booking, Booking.order_id == Order.id)
                .where(Booking.venue_id == venue.id, Order.paid_at.is_not(None))
            )
        )
        deadline = time.monotonic() + TRANSFER_WAIT
        while True:
            written = db.session.scalar(
                select(func.count(func.distinct(VenueTransfer.order_id))).where(
                    VenueTransfer.venue_id == venue.id, VenueTransfer.order_id.in_(order_ids)
                )
            )
            db.session.rollback()  # the next look sees the worker's commits
            if written == len(order_ids) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert written == len(order_ids), f"{written} of {len(order_ids)} transfers written"
        zone = ZoneInfo(venue.timezone)
        first_of_this_month = datetime.now(zone).date().replace(day=1)
        last_month = (first_of_this_month - timedelta(days=1)).replace(day=10)
        paid_at = datetime(last_month.year, last_month.month, last_month.day, 12, tzinfo=zone)
        for order in db.session.scalars(select(Order).where(Order.id.in_(order_ids))):
            order.paid_at = paid_at
        db.session.commit()
    return {"month": f"{last_month:%Y-%m}", "orders": len(order_ids)}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
