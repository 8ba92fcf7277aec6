"""What notifications plug into the app: reminder and text-message jobs, and the schedule
that plans reminders a booking missed."""

from flask import Flask

from app.notifications import (
    activity,  # noqa: F401  (what happens at a venue, told to its people; a listing submitted, to admins)
    agenda,
    cancellations,  # noqa: F401  (who is told of a cancelled booking)
    confirmations,  # noqa: F401  (one confirmation and receipt per paid order)
    desk,  # noqa: F401  (a desk booking told to its client)
    listings,  # noqa: F401  (an admin's decision on a listing, to its owner)
    moves,  # noqa: F401  (reminders and emails for a moved booking)
    personal_data,  # noqa: F401  (a person's notification data in their export, and gone with their account)
    reminders,
    requests,  # noqa: F401  (a request-to-book accepted: the customer is told)
    return_messages,
    review_notices,  # noqa: F401  (answers to reviews, reports and their decisions, told)
    review_requests,
    sms,  # noqa: F401  (its send job)
    waitlist_offers,  # noqa: F401  (a waitlist offer told to its customer)
)
from app.platform.jobs import every


def init_app(app: Flask) -> None:
    every("*/15 * * * *", "plan-missing-reminders", reminders.plan_missing_job)
    every("5 * * * *", "venue-agendas", agenda.send_agendas_job)
    every("*/10 * * * *", "review-requests", review_requests.ask_due_job)  # visits over for the grace period
    every("35 * * * *", "invitations-back", return_messages.invitations_back_job)  # nudges, win-backs, birthdays
