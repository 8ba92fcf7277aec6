"""What memberships plug into the app: a paid month (``order_paid``), the Stripe Billing events
(app/memberships/billing.py hands settlement its invoice and subscription events), and the job
that renews, pauses and ends memberships on schedule."""

from flask import Flask

from app.memberships import cancelling, service  # noqa: F401  (cancelling: its job, for the worker)
from app.memberships.billing import KINDS, settle_billing_event
from app.payments import settlement
from app.platform.jobs import every

RENEW_CRON = "*/10 * * * *"  # every ten minutes: a month that ended is renewed soon after


def init_app(app: Flask) -> None:
    every(RENEW_CRON, "memberships-renew", service.renew_due_job)
    settlement.settle_elsewhere(KINDS, settle_billing_event)
