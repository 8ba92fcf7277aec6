"""What invoicing plugs into the app: the monthly job that issues every venue's invoice and
statement for the month just ended, and the receivers that issue a customer's receipt when an
order is paid and a refund note when a refund reaches them (their jobs: app/invoicing/receipts.py)."""

from flask import Flask

from app.invoicing import receivers, service  # noqa: F401  (receivers: order_paid and refund_made)
from app.platform.jobs import every


def init_app(app: Flask) -> None:
    every(service.ISSUE_CRON, "invoices-issue-month", service.issue_last_month_job)
