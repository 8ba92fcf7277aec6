"""A venue reports a review (a reason and words, once); an admin keeps or removes it; both
sides are told; every decision is audited; bad input changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.notifications.models import Notice
from app.platform.extensions import db
from app.reviews import replies
from app.reviews.models import ReportStatus, Review, ReviewReport, ReviewStatus
from tests.booking.helpers import make_bookable_venue

REPORT = {"reason": "personal", "message": "It names our therapist's home street."}


def report_path(review) -> str:
    return f"/provider/reviews/{review.id}/report"


def count_reports() -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewReport))


def notices_of(user, kind: str | None = None) -> list[Notice]:
    query = select(Notice).where(Notice.user_id == user.id)
    if kind:
        query = query.where(Notice.kind == kind)
    return list(db.session.scalars(query.order_by(Notice.id)))


def test_a_venue_reports_a_review_once_and_the_admins_are_told(web, provider, admin, review):
    web.sign_in_as(provider)
    response = web.post(report_path(review), REPORT, headers={"HX-Request": "true"})

    assert response.status_code == 200 and "Review reported" in response.headers["HX-Trigger"]
    assert "You reported this review. Our team will decide." in response.text
    report = db.session.scalar(select(ReviewReport))
    assert (report.reason, report.details, report.reporter_id, report.status) == (
        "personal",
        REPORT["message"],
        provider.id,
        ReportStatus.OPEN,
    )
    assert [n.title for n in notices_of(admin, "review_reported")] == ["Calm Rooms reported a review"]

    again = web.post(report_path(review), {"reason": "fake", "message": "And again."})
    assert again.status_code == 409 and "already reported" in again.text
    assert count_reports() == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"reason": "", "message": "Words."}, "Choose a reason from the list."),
        ({"reason": "boring", "message": "Words."}, "Choose a reason from the list."),
        ({"reason": "fake", "message": "  "}, "Tell us what is wrong with this review."),
        ({"reason": "fake", "message": "x" * 1001}, "Keep the details under 1000 characters."),
    ],
    ids=["no-reason", "unknown-reason", "no-details", "too-long"],
)
def test_bad_reports_are_refused_with_a_message_and_store_nothing(web, provider, review, form, message):
    web.sign_in_as(provider)
    response = web.post(report_path(review), form)
    assert response.status_code == 422 and message in response.text
    assert count_reports() == 0


def test_another_venue_cannot_report_and_csrf_is_checked(web, make_user, provider, review):
    other = make_user(role=Role.PROVIDER)
    make_bookable_venue(other, name="Other Rooms")
    web.sign_in_as(other)
    assert web.post(report_path(review), REPORT).status_code == 404
    web.sign_in_as(provider)
    assert web.post(report_path(review), REPORT, csrf=False).status_code == 400
    assert count_reports() == 0


def test_an_admin_removes_a_reported_review_and_both_sides_are_told(web, provider, customer, admin, review):
    replies.report_review(review, reporter=provider, reason="personal", details=REPORT["message"])
    web.sign_in_as(admin)
    page = web.get("/admin/review-reports")
    assert "It names our therapist" in page.text and "Good massage" in page.text

    refused = web.post(f"/admin/review-reports/{review.report.id}/remove", {"note": ""})
    assert refused.status_code == 422 and "Say why the review is removed" in refused.text

    response = web.post(f"/admin/review-reports/{review.report.id}/remove", {"note": "Personal details"})

    assert response.status_code == 303
    db.session.expire_all()
    review = db.session.get(Review, review.id)
    assert (review.status, review.hidden_reason) == (ReviewStatus.HIDDEN, "Personal details")
    assert (review.report.status, review.report.decided_by_id) == (ReportStatus.REMOVED, admin.id)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"review.hidden", "review_report.removed"} <= actions
    assert review.venue.review_count == 0
    assert "We removed the review you reported at Calm Rooms" in [n.title for n in notices_of(provider)]
    assert [n.title for n in notices_of(customer, "reviews")] == ["Your review of Calm Rooms was removed"]
    assert "It names our therapist" not in web.get("/admin/review-reports").text  # decided: off the list

    again = web.post(f"/admin/review-reports/{review.report.id}/keep", {})
    assert again.status_code == 409 and "already been decided" in again.text


def test_an_admin_keeps_a_reported_review_and_both_sides_are_told(web, provider, customer, admin, review):
    replies.report_review(review, reporter=provider, reason="fake", details="We never saw this person.")
    web.sign_in_as(admin)
    assert web.post(f"/admin/review-reports/{review.report.id}/keep", {}).status_code == 303
    db.session.expire_all()
    review = db.session.get(Review, review.id)
    assert (review.status, review.report.status) == (ReviewStatus.PUBLISHED, ReportStatus.KEPT)
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "review_report.kept"))
    assert "We kept the review you reported at Calm Rooms" in [n.title for n in notices_of(provider)]
    assert [n.title for n in notices_of(customer, "reviews")] == ["Your review of Calm Rooms stays published"]
    web.sign_in_as(provider)
    assert "You reported this review; our team kept it." in web.get("/provider/reviews").text


def test_only_admins_decide_and_an_unknown_report_is_a_404(web, provider, review):
    replies.report_review(review, reporter=provider, reason="personal", details=REPORT["message"])
    web.sign_in_as(provider)
    assert web.get("/admin/review-reports").status_code == 403
    assert web.post(f"/admin/review-reports/{review.report.id}/keep", {}).status_code == 403
    assert db.session.scalar(select(ReviewReport.status)) == ReportStatus.OPEN


def test_an_unknown_report_is_a_404(web, admin):
    web.sign_in_as(admin)
    assert web.post("/admin/review-reports/999999/keep", {}).status_code == 404
