"""What the checkout use cases plug into the app: a move's top-up listens to released times
and to holds that ran out (app/checkout/top_ups.py)."""

from flask import Flask

from app.checkout import top_ups  # noqa: F401  (its times_reopened and holds_expiring receivers)


def init_app(app: Flask) -> None:
    """Nothing on the schedule: expire-holds (app/booking) lets a top-up's hold go too."""
