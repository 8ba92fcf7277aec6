"""Imports every module that defines jobs, so a worker knows all task names, and registers the
periodic ones: the whole schedule in one table."""

import app.booking.lifecycle as booking_lifecycle
import app.booking.order_lifecycle as order_lifecycle
import app.booking.top_ups  # its times_reopened receiver
import app.email as email
import app.notifications.reminders as reminders
import app.notifications.sms
import app.payments.reconcile as payments_reconcile
import app.payments.refunds
import app.payments.settlement
import app.payouts.transfers
import app.privacy.deletion as privacy_deletion
import app.privacy.exports  # noqa: F401
import app.privacy.retention as privacy_retention
import app.waitlist.offers as waitlist_offers
import search.free_time as search_free_time
import search.indexing  # noqa: F401
from app.jobs import every

SCHEDULE = (
    ("*/5 * * * *", "expire-holds", order_lifecycle.expire_holds_job),
    ("0 * * * *", "purge-cart", booking_lifecycle.purge_cart_job),
    ("*/10 * * * *", "payments-reconcile", payments_reconcile.reconcile_job),
    ("17 3 * * *", "purge-email-deliveries", email.purge_deliveries_job),
    ("*/15 * * * *", "plan-missing-reminders", reminders.plan_missing_job),
    ("41 3 * * *", "privacy-retention", privacy_retention.retention_job),
    ("7 * * * *", "erase-due-accounts", privacy_deletion.erase_due_accounts_job),
    ("* * * * *", "waitlist-lapse-offers", waitlist_offers.lapse_offers_job),
    ("* * * * *", "search-free-time", search_free_time.refresh_free_time_job),
)


def register_schedule() -> None:
    for cron, periodic_id, task in SCHEDULE:
        every(cron, periodic_id, task)


register_schedule()
