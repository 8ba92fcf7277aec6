"""After a completed visit the customer is asked once for a review, on the channels they chose;
never after a no-show or a cancellation; the link opens the form only for the booking's owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import Role
from app.booking.models import BookingStatus
from app.notifications.models import NotificationPreference, SmsNumber
from app.notifications.review_requests import ask_due_job, due_bookings, request_review
from app.platform.extensions import db
from app.reviews import service
from app.reviews.models import ReviewRequest
from tests.booking.helpers import move_to_past
from tests.notifications.helpers import make_due, sms_to

NUMBER = "+447911123456"


def requests_sent() -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewRequest))


def request_jobs() -> list[int]:
    return list(
        db.session.scalars(
            text("SELECT id FROM procrastinate_jobs WHERE task_name = 'reviews.request' AND status = 'todo'")
        )
    )


def review_emails(outbox, customer) -> list:
    return [m for m in outbox if m.to == [customer.email] and m.subject.startswith("How was")]


def test_completing_a_visit_asks_once_by_email_with_the_review_link(
    app, web, provider, customer, visit, outbox, run_jobs
):
    web.sign_in_as(provider)
    assert web.post(f"/provider/bookings/{visit.id}/complete", {}).status_code == 302  # back to the calendar
    db.session.refresh(visit)
    assert visit.status == BookingStatus.COMPLETED
    (job_id,) = request_jobs()
    scheduled = db.session.execute(text("SELECT scheduled_at FROM procrastinate_jobs WHERE id = :id"), {"id": job_id})
    assert scheduled.scalar() >= visit.ends_at + timedelta(minutes=app.config["REVIEW_REQUEST_DELAY_MINUTES"])

    make_due(job_id)
    run_jobs()

    (mail,) = review_emails(outbox, customer)
    assert mail.subject == "How was Deep tissue massage at Calm Rooms?"
    assert f"/bookings/{visit.reference}/review" in mail.body
    assert requests_sent() == 1
    # a second run (a retry, a second mark) asks nothing
    assert request_review(visit.id) is None
    assert requests_sent() == 1


def test_by_text_message_when_that_is_the_customers_choice(ctx, customer, visit, outbox):
    db.session.add(SmsNumber(user_id=customer.id, number=NUMBER))
    db.session.add_all(
        [
            NotificationPreference(user_id=customer.id, kind="reviews", channel="sms", enabled=True),
            NotificationPreference(user_id=customer.id, kind="reviews", channel="email", enabled=False),
        ]
    )
    visit.status = BookingStatus.COMPLETED
    db.session.flush()
    assert request_review(visit.id) == ("sms",)
    from app.platform.jobs import run_pending_jobs

    run_pending_jobs()
    (sms,) = sms_to(NUMBER)
    assert "Leave a review" in sms.body and f"/bookings/{visit.reference}/review" in sms.body
    assert review_emails(outbox, customer) == []


@pytest.mark.parametrize(
    "status", [BookingStatus.NO_SHOW, BookingStatus.CANCELLED_BY_CUSTOMER, BookingStatus.CANCELLED_BY_VENUE]
)
def test_never_after_a_no_show_or_a_cancellation(ctx, customer, visit, status):
    visit.status = status
    db.session.flush()
    assert request_review(visit.id) is None
    assert requests_sent() == 0


def test_a_no_show_mark_plans_no_request(web, provider, visit):
    web.sign_in_as(provider)
    assert web.post(f"/provider/bookings/{visit.id}/no-show", {}).status_code == 302
    db.session.refresh(visit)
    assert visit.status == BookingStatus.NO_SHOW
    assert request_jobs() == []
    assert request_review(visit.id) is None


def test_not_when_already_reviewed_or_too_late(ctx, customer, visit):
    visit.status = BookingStatus.COMPLETED
    db.session.flush()
    assert request_review(visit.id, now=datetime.now(UTC) + timedelta(days=91)) is None
    service.create_review(visit, customer=customer, rating=5, body="Lovely, thank you all.")
    assert request_review(visit.id) is None
    assert requests_sent() == 0


def test_the_link_signs_nobody_in_and_opens_the_form_after_sign_in(web, customer, visit):
    path = f"/bookings/{visit.reference}/review"
    signed_out = web.get(path)
    assert signed_out.status_code in (302, 303) and "/sign-in" in signed_out.headers["Location"]
    web.sign_in_as(customer)
    assert "Publish review" in web.get(path).text


def test_the_link_for_another_customers_booking_is_refused(web, make_user, visit):
    web.sign_in_as(make_user(role=Role.CUSTOMER))
    assert web.get(f"/bookings/{visit.reference}/review").status_code == 404


# A visit nobody marked: over for the grace period, it counts as having happened (docs/reviews.md).


def _grace(app) -> timedelta:
    return timedelta(minutes=app.config["REVIEW_REQUEST_DELAY_MINUTES"])


def test_an_unmarked_visit_is_asked_once_after_the_grace_period(app, ctx, customer, visit, outbox, run_jobs):
    assert visit.status == BookingStatus.CONFIRMED  # nobody marked it
    early = visit.ends_at + _grace(app) - timedelta(minutes=1)
    assert due_bookings(early) == [] and request_review(visit.id, now=early) is None
    assert requests_sent() == 0
    due = visit.ends_at + _grace(app)
    assert due_bookings(due) == [visit.id]
    assert request_review(visit.id, now=due) == ("email",)
    run_jobs()
    assert len(review_emails(outbox, customer)) == 1
    assert due_bookings(due) == [] and request_review(visit.id, now=due) is None  # once
    assert requests_sent() == 1


def test_the_periodic_job_asks_for_visits_over_the_grace_and_only_once(app, ctx, customer, visit, outbox, run_jobs):
    move_to_past(visit, hours=4)  # ended three hours ago: past the two-hour grace
    ask_due_job()
    ask_due_job()  # a second run, or the mark's own job later, asks nothing again
    run_jobs()
    assert len(review_emails(outbox, customer)) == 1
    assert requests_sent() == 1
    visit.status = BookingStatus.COMPLETED  # marked afterwards: still once
    db.session.flush()
    assert request_review(visit.id) is None


@pytest.mark.parametrize(
    "status", [BookingStatus.NO_SHOW, BookingStatus.CANCELLED_BY_CUSTOMER, BookingStatus.CANCELLED_BY_VENUE]
)
def test_the_periodic_job_never_asks_after_a_no_show_or_a_cancellation(
    app, ctx, customer, visit, outbox, run_jobs, status
):
    move_to_past(visit, hours=4)
    visit.status = status
    db.session.flush()
    assert due_bookings(datetime.now(UTC)) == []
    ask_due_job()
    run_jobs()
    assert requests_sent() == 0 and review_emails(outbox, customer) == []


def test_visits_older_than_the_look_back_or_reviewed_are_not_asked(app, ctx, customer, visit):
    move_to_past(visit, hours=app.config["REVIEW_REQUEST_LOOKBACK_HOURS"] + 2)
    assert due_bookings(datetime.now(UTC)) == []
    move_to_past(visit, hours=4)
    service.create_review(visit, customer=customer, rating=5, body="Lovely, thank you all.")
    assert due_bookings(datetime.now(UTC)) == []


def test_a_no_show_marked_after_the_request_takes_no_review(app, web, provider, customer, visit):
    move_to_past(visit, hours=4)
    assert request_review(visit.id) == ("email",)
    web.sign_in_as(provider)
    assert web.post(f"/provider/bookings/{visit.id}/no-show", {}).status_code == 302
    db.session.refresh(visit)
    assert visit.status == BookingStatus.NO_SHOW
    assert request_review(visit.id) is None and requests_sent() == 1  # nothing more is sent
    web.sign_in_as(customer)
    page = web.get(f"/bookings/{visit.reference}/review")
    assert "marked this booking as a no-show" in page.text and "Publish review" not in page.text
