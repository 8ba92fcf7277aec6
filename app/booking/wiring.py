"""What the booking domain plugs into the app: its jobs and its schedule."""

from flask import Flask

from app.booking import (
    calendar_events,  # noqa: F401  (answers calendar sync's calendar_events_wanted)
    lifecycle,
    order_lifecycle,
)
from app.platform.jobs import every


def init_app(app: Flask) -> None:
    every("*/5 * * * *", "expire-holds", order_lifecycle.expire_holds_job)
    every("0 * * * *", "purge-cart", lifecycle.purge_cart_job)
