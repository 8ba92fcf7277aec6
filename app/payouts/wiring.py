"""What payouts plug into the app: the jobs that send and reverse transfers to venues, and
the receivers that schedule each venue's share of a paid order and take it back after a refund."""

from flask import Flask

from app.payouts import receivers, transfers  # noqa: F401  (their order_paid and refund_made receivers, jobs)


def init_app(app: Flask) -> None:
    """Nothing on the schedule: transfers are enqueued by the payments that cause them."""
