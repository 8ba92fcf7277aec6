"""The venue's answer to a review: once, editable, owner and managers only, shown under the
review, told to the customer, moderated by admins; bad input changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.notifications.models import Notice
from app.platform.extensions import db
from app.reviews import replies
from app.reviews.events import review_replied
from app.reviews.models import ReviewReply, ReviewStatus
from app.venues.models import StaffRole
from tests.booking.helpers import make_bookable_venue
from tests.venues.staff_world import make_staff

ANSWER = "Thank you, Chloe! We have told the team about the timing."


def reply_path(review) -> str:
    return f"/provider/reviews/{review.id}/reply"


def count_replies() -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewReply))


def test_the_owner_answers_once_and_it_shows_under_the_review_with_the_venue_name(
    web, provider, review, outbox, run_jobs
):
    web.sign_in_as(provider)
    page = web.get("/provider/reviews")
    assert page.status_code == 200 and "Good massage" in page.text and "Publish answer" in page.text

    response = web.post(reply_path(review), {"body": ANSWER})

    assert response.status_code == 303
    reply = db.session.scalar(select(ReviewReply).where(ReviewReply.review_id == review.id))
    assert (reply.body, reply.author_id, reply.status) == (ANSWER, provider.id, ReviewStatus.PUBLISHED)
    venue_page = web.get(f"/venues/{review.venue.slug}").text
    assert "Answer from Calm Rooms" in venue_page and ANSWER in venue_page
    assert "data-review-reply" in venue_page
    # the customer is told: a notice, and an email (their default for "reviews")
    notice = db.session.scalar(select(Notice).where(Notice.user_id == review.customer_id, Notice.kind == "reviews"))
    assert "Calm Rooms answered your review" in notice.title
    run_jobs()
    told = [m.subject for m in outbox if m.to == [review.customer.email] and "answered" in m.subject]
    assert told == ["Calm Rooms answered your review"]


def test_the_answer_is_edited_in_place_and_the_customer_is_told_only_once(web, provider, review):
    web.sign_in_as(provider)
    web.post(reply_path(review), {"body": ANSWER})
    response = web.post(
        reply_path(review), {"body": "Thank you! Fixed the timing now."}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Answer updated." in response.headers["HX-Trigger"]  # the toast
    assert 'id="review-' in response.text and "<html" not in response.text  # the review's fragment
    assert count_replies() == 1
    reply = db.session.scalar(select(ReviewReply))
    db.session.refresh(reply)
    assert reply.body == "Thank you! Fixed the timing now."
    notices = db.session.scalar(
        select(func.count()).select_from(Notice).where(Notice.user_id == review.customer_id, Notice.kind == "reviews")
    )
    assert notices == 1


def test_the_signal_says_first_then_edit(ctx, provider, review):
    seen = []
    with review_replied.connected_to(lambda sender, **kw: seen.append(kw["first"])):
        replies.save_reply(review, author=provider, body="First answer.")
        replies.save_reply(review, author=provider, body="First answer, edited.")
        replies.save_reply(review, author=provider, body="First answer, edited.")  # unchanged: nothing
    assert seen == [True, False]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("", 422, "Write your answer before publishing it."),
        ("   ", 422, "Write your answer before publishing it."),
        ("x" * 1001, 422, "Keep your answer under 1000 characters."),
    ],
    ids=["empty", "blank", "too-long"],
)
def test_bad_answers_are_refused_with_a_message_and_change_nothing(web, provider, review, body, status, message):
    web.sign_in_as(provider)
    response = web.post(reply_path(review), {"body": body}, headers={"HX-Request": "true"})
    assert response.status_code == status
    assert message in response.text and 'role="alert"' in response.text
    assert count_replies() == 0


def test_a_bad_edit_keeps_the_published_answer(web, provider, review):
    web.sign_in_as(provider)
    web.post(reply_path(review), {"body": ANSWER})
    assert web.post(reply_path(review), {"body": ""}).status_code == 422
    assert db.session.scalar(select(ReviewReply.body)) == ANSWER


def test_without_the_csrf_token_nothing_is_stored(web, provider, review):
    web.sign_in_as(provider)
    assert web.post(reply_path(review), {"body": ANSWER}, csrf=False).status_code == 400
    assert count_replies() == 0


def test_another_venue_cannot_answer_or_see_the_review(web, make_user, review):
    other = make_user(role=Role.PROVIDER, name="Otto Other")
    make_bookable_venue(other, name="Other Rooms")
    web.sign_in_as(other)
    assert web.post(reply_path(review), {"body": ANSWER}).status_code == 404
    assert "Good massage" not in web.get("/provider/reviews").text
    assert count_replies() == 0


@pytest.mark.parametrize(("role", "allowed"), [(StaffRole.MANAGER, True), (StaffRole.RECEPTIONIST, False)])
def test_managers_answer_receptionists_do_not(web, make_user, review, role, allowed):
    person = make_staff(make_user, review.venue, role)
    web.sign_in_as(person)
    response = web.post(reply_path(review), {"body": ANSWER})
    assert response.status_code == (303 if allowed else 403)
    assert count_replies() == (1 if allowed else 0)


def test_customers_and_signed_out_visitors_cannot_answer(web, customer, review):
    web.sign_in_as(customer)
    assert web.post(reply_path(review), {"body": ANSWER}).status_code == 403
    web.sign_out()
    assert web.post(reply_path(review), {"body": ANSWER}).status_code in (302, 303)
    assert count_replies() == 0


def test_a_hidden_review_takes_no_answer(web, provider, admin, review):
    from app.reviews.service import set_visibility

    set_visibility(review, hidden=True, actor=admin, reason="Personal details")
    web.sign_in_as(provider)
    response = web.post(reply_path(review), {"body": ANSWER})
    assert response.status_code == 409 and "hidden" in response.text
    assert count_replies() == 0


def test_the_customer_sees_the_answer_on_their_review_page(web, provider, customer, review):
    replies.save_reply(review, author=provider, body=ANSWER)
    web.sign_in_as(customer)
    page = web.get(f"/bookings/{review.booking.reference}/review").text
    assert "Answer from Calm Rooms" in page and "We have told the team" in page


# -- moderation ---------------------------------------------------------------------------------


def test_an_admin_hides_an_answer_with_a_reason_audited_and_publishes_it_again(web, provider, admin, review):
    replies.save_reply(review, author=provider, body="Call me on 07911 123456 about it.")
    web.sign_in_as(admin)
    assert "Call me on" in web.get("/admin/reviews").text

    response = web.post(f"/admin/reviews/{review.id}/reply/hide", {"reason": "A phone number"})

    assert response.status_code == 303
    reply = db.session.scalar(select(ReviewReply))
    db.session.refresh(reply)
    assert (reply.status, reply.hidden_reason) == (ReviewStatus.HIDDEN, "A phone number")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "review_reply.hidden"))
    assert (entry.actor_id, entry.subject_id, entry.reason) == (admin.id, reply.id, "A phone number")
    assert "Call me on" not in web.get(f"/venues/{review.venue.slug}").text
    # the venue sees why on its own page
    web.sign_in_as(provider)
    assert "Our team hid your answer: A phone number" in web.get("/provider/reviews").text

    web.sign_in_as(admin)
    assert web.post(f"/admin/reviews/{review.id}/reply/publish", {}).status_code == 303
    assert "Call me on" in web.get(f"/venues/{review.venue.slug}").text
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "review_reply.published"))


def test_hiding_an_answer_without_a_reason_is_refused(web, provider, admin, review):
    replies.save_reply(review, author=provider, body=ANSWER)
    web.sign_in_as(admin)
    response = web.post(f"/admin/reviews/{review.id}/reply/hide", {"reason": " "})
    assert response.status_code == 422 and "Say why the answer is hidden" in response.text
    assert db.session.scalar(select(ReviewReply.status)) == ReviewStatus.PUBLISHED
    assert web.post(f"/admin/reviews/{review.id}/reply/hide", {"reason": "x" * 501}).status_code == 400


def test_moderating_a_missing_answer_is_a_404_and_only_admins_moderate(web, provider, admin, review):
    web.sign_in_as(admin)
    assert web.post(f"/admin/reviews/{review.id}/reply/hide", {"reason": "spam"}).status_code == 404
    replies.save_reply(review, author=provider, body=ANSWER)
    web.sign_in_as(provider)
    assert web.post(f"/admin/reviews/{review.id}/reply/hide", {"reason": "spam"}).status_code == 403
    assert db.session.scalar(select(ReviewReply.status)) == ReviewStatus.PUBLISHED


def test_an_answer_invalidates_the_cached_venue_page(web, provider, review, page_cache):
    slug = review.venue.slug
    assert ANSWER not in web.get(f"/venues/{slug}").text  # anonymous: now cached
    web.sign_in_as(provider)
    web.post(reply_path(review), {"body": ANSWER})
    web.sign_out()
    assert "We have told the team" in web.get(f"/venues/{slug}").text
