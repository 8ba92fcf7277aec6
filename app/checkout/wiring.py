"""What the checkout use cases plug into the app: a move's top-up listens to released times
and to holds that ran out (app/checkout/top_ups.py); requests-to-book lapse on a schedule."""

from flask import Flask

from app.checkout import (
    requests,
    top_ups,  # noqa: F401  (its times_reopened and holds_expiring receivers)
)
from app.platform.jobs import every


def init_app(app: Flask) -> None:
    """Pending requests-to-book whose window ran out lapse (refunded in full); expire-holds
    (app/booking) lets a top-up's hold go too."""
    every("*/5 * * * *", "lapse-requests", requests.lapse_requests_job)
