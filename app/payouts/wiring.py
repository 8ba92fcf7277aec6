"""What payouts plug into the app: the jobs that send and reverse transfers to venues, the
receivers that schedule each venue's share of a paid order and take it back after a refund, and
the Connect events settlement hands over (payments sit below payouts and don't import them)."""

from flask import Flask

from app.payments import settlement
from app.payouts import receivers, transfers  # noqa: F401  (their order_paid and refund_made receivers, jobs)
from app.payouts.connect_events import CONNECT_EVENTS, settle_connect_event


def init_app(app: Flask) -> None:
    """Nothing on the schedule: transfers are enqueued by the payments that cause them."""
    settlement.settle_elsewhere(CONNECT_EVENTS, settle_connect_event)
