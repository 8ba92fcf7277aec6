"""What payments plug into the app: settlement, refund and fee jobs, the reconciliation that
settles what a missed webhook left open, and the receiver of the Demo gateway's webhook."""

from flask import Flask

from app.payments import demo_webhook, fees, receivers, reconcile, refunds, settlement  # noqa: F401  (jobs, receivers)
from app.platform.jobs import every


def init_app(app: Flask) -> None:
    every("*/10 * * * *", "payments-reconcile", reconcile.reconcile_job)
