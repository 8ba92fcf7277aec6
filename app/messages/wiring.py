"""What messages plug into the app: the data export's messages file (app/messages/exports.py).
Nothing on the schedule."""

from flask import Flask

from app.messages import exports  # noqa: F401  (the export_collecting receiver)


def init_app(app: Flask) -> None:
    """Nothing to schedule: the receiver is connected by importing it."""
