"""What payouts plug into the app: the jobs that send and reverse transfers to venues, and
the receiver that schedules each venue's share of a paid order."""

from flask import Flask

from app.payouts import receivers, transfers  # noqa: F401  (their order_paid receiver and jobs)


def init_app(app: Flask) -> None:
    """Nothing on the schedule: transfers are enqueued by the payments that cause them."""
