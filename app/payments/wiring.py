"""What payments plug into the app: settlement, refund and fee jobs, and the reconciliation
that settles what a missed webhook left open."""

from flask import Flask

from app.jobs import every
from app.payments import fees, receivers, reconcile, refunds, settlement  # noqa: F401  (their jobs, receivers)


def init_app(app: Flask) -> None:
    every("*/10 * * * *", "payments-reconcile", reconcile.reconcile_job)
