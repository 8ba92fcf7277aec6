"""What tips plug into the app: a paid tip order records the tip as paid (``order_paid``)."""

from flask import Flask

from app.tips import service  # noqa: F401  (its order_paid receiver)


def init_app(app: Flask) -> None:
    """Nothing on the schedule: a tip is recorded by the payment that pays it."""
