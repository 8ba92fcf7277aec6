"""What the booking domain plugs into the app: its jobs, its schedule and its receivers."""

from flask import Flask

from app.booking import (
    lifecycle,
    order_lifecycle,
    top_ups,  # noqa: F401  (its times_reopened receiver ends a top-up whose booking went)
)
from app.jobs import every


def init_app(app: Flask) -> None:
    every("*/5 * * * *", "expire-holds", order_lifecycle.expire_holds_job)
    every("0 * * * *", "purge-cart", lifecycle.purge_cart_job)
