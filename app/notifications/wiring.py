"""What notifications plug into the app: reminder and text-message jobs, and the schedule
that plans reminders a booking missed."""

from flask import Flask

from app.jobs import every
from app.notifications import (
    cancellations,  # noqa: F401  (who is told of a cancelled booking)
    confirmations,  # noqa: F401  (one confirmation and receipt per paid order)
    desk,  # noqa: F401  (a desk booking told to its client)
    listings,  # noqa: F401  (an admin's decision on a listing, to its owner)
    moves,  # noqa: F401  (reminders and emails for a moved booking)
    reminders,
    sms,  # noqa: F401  (its send job)
)


def init_app(app: Flask) -> None:
    every("*/15 * * * *", "plan-missing-reminders", reminders.plan_missing_job)
