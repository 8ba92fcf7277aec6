"""What packages plug into the app: a paid purchase starts its package (``order_paid``); a
cancellation or a released order gives sessions back, and a late payment takes them again."""

from flask import Flask

from app.packages import service  # noqa: F401  (its signal receivers)


def init_app(app: Flask) -> None:
    """Nothing on the schedule: a package starts when it is paid and ends on its date."""
