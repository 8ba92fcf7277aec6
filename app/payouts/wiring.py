"""What payouts plug into the app: the jobs that send and reverse transfers to venues."""

from flask import Flask

from app.payouts import transfers  # noqa: F401  (its jobs)


def init_app(app: Flask) -> None:
    """Nothing on the schedule: transfers are enqueued by the payments that cause them."""
