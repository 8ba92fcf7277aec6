"""Imports every module that defines jobs, so a worker knows all task names and schedules."""

import app.booking.lifecycle as booking_lifecycle
import app.booking.order_lifecycle
import app.email as email
import app.notifications.reminders as reminders
import app.notifications.sms
import app.payments.reconcile as payments_reconcile
import app.payments.refunds
import app.payments.settlement
import app.payouts.transfers
import app.privacy.exports  # noqa: F401
import app.privacy.retention as privacy_retention
import app.waitlist.offers as waitlist_offers
import search.indexing  # noqa: F401

booking_lifecycle.schedule_periodic()
payments_reconcile.schedule_periodic()
email.schedule_periodic()
reminders.schedule_periodic()
privacy_retention.schedule_periodic()
waitlist_offers.schedule_periodic()
